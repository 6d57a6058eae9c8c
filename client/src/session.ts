import { assertUnreachable, ERROR_TEXT, type ReportReason } from '../../src/protocol/messages.js';
import { reconnectDelayMs } from './backoff.js';
import { describeCameraError, stopStream } from './camera.js';
import { ChatLog } from './chat-log.js';
import type { UiState } from './controls.js';
import { ConnectionLostError, describeError, isRequestError } from './errors.js';
import { linkFailureNotice } from './link-failure.js';
import type { ChatSettings } from './landing.js';
import type { MediaKind } from './media.js';
import { PartnerDisplay } from './partner-display.js';
import { serverNotice, type NoticeEffect } from './server-notice.js';
import type { Push, Signaling } from './signaling.js';
import { followResumes, partnerConnectionText } from './resumption.js';
import { partnerLeftText, TEXT } from './texts.js';
import { sendTyping, TypingNotifier } from './typing.js';
import { VideoCall } from './video.js';
import type { ChatView } from './views.js';

/** How often media setup is retried after media_unavailable before the error is shown. */
const MEDIA_RETRIES = 3;

/** States in which the user is in the chat view and wants to be (or is) talking to someone. */
const CHATTING: ReadonlySet<UiState> = new Set<UiState>(['starting', 'waiting', 'paired', 'partner-left', 'reconnecting']);

/**
 * One visit's chat: follows the server's pushes, drives the buttons, and after a lost connection
 * or a media reset sets media up again and searches again with the same settings.
 */
export class ChatSession {
  readonly #signaling: Signaling;
  readonly #view: ChatView;
  readonly #log: ChatLog;
  readonly #typing: TypingNotifier;
  readonly #video: VideoCall;
  readonly #partner: PartnerDisplay;
  #settings: ChatSettings | null = null;
  /** The user wants to be chatting: searching again after a reconnect or media reset. */
  #active = false;
  #state: UiState = 'landing';
  /** Bumped by every begin()/stop()/home(): an older run stops at its next await. */
  #run = 0;
  /** Consecutive media_unavailable answers (a media worker restarting): retried with backoff. */
  #mediaRetries = 0;
  /** What the server said when it closed the connection for good (ban, flooding). */
  #closedMessage: string | null = null;

  constructor(signaling: Signaling, view: ChatView) {
    this.#signaling = signaling;
    this.#view = view;
    this.#log = new ChatLog(view.messages, view.typingIndicator);
    this.#typing = new TypingNotifier((typing) => sendTyping(signaling, typing));
    this.#video = new VideoCall(signaling, (cause) => {
      const notice = linkFailureNotice(cause);
      if (notice.place === 'panel') this.#view.showMediaError(notice.text);
      else this.#view.setStatus(notice.text);
    });
    this.#partner = new PartnerDisplay(this.#video, view, this.#log, this.#typing);
    signaling.on('push', (message) => this.#onPush(message));
    signaling.on('lost', () => this.#onLost());
    followResumes(signaling, this, { setStatus: (text) => view.setStatus(text), partnerLeft: (reason) => this.#partnerLeft(reason) });
  }

  get state(): UiState {
    return this.#state;
  }

  get video(): VideoCall {
    return this.#video;
  }

  // ---- user actions ----------------------------------------------------------------------------

  start(settings: ChatSettings): void {
    this.#settings = settings;
    this.#active = true;
    this.#view.showChat(settings.mode);
    this.#view.showMediaError(null);
    this.#log.clear();
    void this.#begin(settings.mode === 'video' ? TEXT.startingCamera : TEXT.connecting);
  }

  startAgain(): void {
    if (this.#settings) this.start(this.#settings);
  }

  /** After a camera error or media_unavailable: the same settings, without video. */
  useTextOnly(): void {
    if (!this.#settings) return;
    void this.#releaseCamera();
    this.start({ ...this.#settings, mode: 'text' });
  }

  async next(): Promise<void> {
    if (this.#state !== 'waiting' && this.#state !== 'paired' && this.#state !== 'partner-left') return;
    const partnerGone = this.#state === 'partner-left';
    // After partner.left the server may hold us idle (then `start`) or queued (then `next`).
    // The first request goes out before the page tears the old partner down, so the server pairs
    // while this page renegotiates; its replies are handled only after this task.
    const searching = this.#searchAgain(partnerGone ? ['start', 'next'] : ['next', 'start']);
    this.#partner.end();
    this.#log.clear();
    this.#setState('waiting', TEXT.waiting);
    await searching;
  }

  async stop(): Promise<void> {
    if (!CHATTING.has(this.#state)) return;
    this.#halt();
    this.#log.clear();
    this.#log.add('system', TEXT.stopped);
    this.#setState('idle', TEXT.stoppedStatus);
    try {
      await this.#signaling.request('stop', {});
    } catch (error) {
      // Not connected, or already idle on the server (partner left): we are where we wanted to be.
      if (!(error instanceof ConnectionLostError) && !isRequestError(error, 'wrong_state')) {
        this.#view.setStatus(describeError(error));
      }
    }
  }

  /** Back to the landing page: end any chat and turn the camera off. */
  async home(): Promise<void> {
    if (CHATTING.has(this.#state)) await this.stop();
    this.#run++;
    this.#active = false;
    this.#log.clear();
    this.#setState('landing', '');
    this.#view.showLanding();
    await this.#releaseCamera();
  }

  async report(reason: ReportReason): Promise<string | null> {
    if (this.#state !== 'paired') return TEXT.nothingToReport;
    let referenceId: string;
    try {
      ({ referenceId } = await this.#signaling.request('report', { reason }));
    } catch (error) {
      return describeError(error);
    }
    this.#halt();
    this.#log.clear();
    this.#log.add('system', TEXT.reported);
    this.#log.add('system', `Report reference: ${referenceId}`);
    this.#setState('idle', TEXT.reported); // the server ended the pair and left us idle
    return null;
  }

  async toggle(kind: MediaKind): Promise<void> {
    const paused = !this.#video.paused[kind];
    this.#view.setPaused(kind, paused);
    try {
      await this.#video.setPaused(kind, paused);
    } catch (error) {
      if (!(error instanceof ConnectionLostError)) this.#view.setStatus(describeError(error));
    }
  }

  /** False when the server refused the message (too fast, blocked): the caller gives the text back to the box. */
  async sendChat(text: string): Promise<boolean> {
    if (this.#state !== 'paired' || text === '') return true;
    this.#typing.stopped();
    try {
      const delivered = await this.#signaling.request('chat', { text });
      this.#log.add('me', delivered.text);
      return true;
    } catch (error) {
      if (error instanceof ConnectionLostError) {
        // Sent into a connection that had silently died: it goes again once the chat is resumed.
        return (await this.#signaling.afterDrop()) ? this.sendChat(text) : true;
      }
      const line = isRequestError(error, 'chat_blocked') && error.message ? error.message : describeError(error);
      this.#log.add('system', line);
      return false;
    }
  }

  chatInput(): void {
    if (this.#state === 'paired') this.#typing.input();
  }

  // ---- the way into a chat ---------------------------------------------------------------------

  /** Camera (video), connection, media link (video), then `start`. Safe to call again at any time. */
  async #begin(status: string): Promise<void> {
    const run = ++this.#run;
    const settings = this.#settings;
    if (!settings || !this.#active) return;
    this.#setState('starting', status);
    if (settings.mode === 'video' && !(await this.#openCamera(run))) return;
    if (this.#signaling.stopReason !== null) {
      this.#active = false;
      this.#setState('error', this.#closedMessage ?? ERROR_TEXT.banned);
      return; // the server told us not to come back (banned, flooding, replaced)
    }
    if (!this.#signaling.ready) {
      this.#setState('reconnecting', this.#signaling.status === 'connecting' ? TEXT.connecting : TEXT.reconnecting);
      return; // the welcome handler begins again
    }
    try {
      if (settings.mode === 'video') {
        if (status === TEXT.startingCamera) this.#view.setStatus(TEXT.connectingVideo);
        await this.#video.ensureLink();
        if (run !== this.#run) return;
      }
      await this.#signaling.request('start', {
        mode: settings.mode,
        interests: settings.interests,
        countries: settings.countries,
      });
      this.#mediaRetries = 0;
      if (run === this.#run && this.#state === 'starting') this.#setState('waiting', TEXT.waiting);
    } catch (error) {
      if (run !== this.#run || error instanceof ConnectionLostError) return; // superseded; or 'lost' takes over
      if (isRequestError(error, 'media_unavailable') && this.#mediaRetries < MEDIA_RETRIES) {
        // A media worker is being replaced (the server sends media.reset before the new one is up).
        const delay = reconnectDelayMs(this.#mediaRetries++);
        window.setTimeout(() => {
          if (run === this.#run) void this.#begin(status);
        }, delay);
        return;
      }
      this.#mediaRetries = 0;
      if (isRequestError(error, 'wrong_state')) {
        // Still queued or paired on the server (say after a media reset): search afresh.
        await this.#searchAgain(['next']);
        return;
      }
      this.#fail(error);
    }
  }

  /** Opens the camera and shows the preview; false (with the reason shown) when that failed. */
  async #openCamera(run: number): Promise<boolean> {
    try {
      await this.#video.openCamera();
    } catch (error) {
      if (run !== this.#run) return false;
      this.#active = false;
      this.#view.showMediaError(describeCameraError(error));
      this.#setState('error', TEXT.cameraUnavailable);
      return false;
    }
    if (this.#state === 'landing') {
      await this.#releaseCamera(); // the user went back while the browser was asking
      return false;
    }
    const camera = this.#video.camera;
    if (this.#view.localVideo.srcObject !== camera) this.#view.setLocalStream(camera);
    return run === this.#run;
  }

  async #searchAgain(order: readonly ('next' | 'start')[]): Promise<void> {
    const run = this.#run;
    const settings = this.#settings;
    if (!settings) return;
    for (const type of order) {
      try {
        if (type === 'next') await this.#signaling.request('next', {});
        else await this.#signaling.request('start', { mode: settings.mode, interests: settings.interests, countries: settings.countries });
        return;
      } catch (error) {
        if (run !== this.#run || error instanceof ConnectionLostError) return;
        if (isRequestError(error, 'wrong_state')) continue;
        this.#fail(error);
        return;
      }
    }
    this.#fail(new Error('searchAgain() | neither next nor start was accepted'));
  }

  #fail(error: unknown): void {
    this.#active = false;
    this.#partner.end();
    if (isRequestError(error, 'media_unavailable')) this.#view.showMediaError(ERROR_TEXT.media_unavailable);
    else if (!isRequestError(error)) console.warn('chat | failed', error);
    this.#setState('error', describeError(error));
  }

  // ---- what the server tells us ------------------------------------------------------------------

  #onPush(message: Push): void {
    switch (message.type) {
      case 'welcome':
        this.#view.chatInput.maxLength = message.maxChatLength;
        if (this.#active) void this.#begin(this.#settings?.mode === 'video' ? TEXT.connectingVideo : TEXT.connecting);
        return;
      case 'online':
        return;
      case 'waiting':
        if (!this.#active) return;
        this.#partner.end();
        this.#log.clear();
        this.#setState('waiting', TEXT.waiting);
        return;
      case 'paired':
        if (!this.#active) return;
        this.#partner.end();
        this.#log.clear();
        this.#log.add('system', TEXT.pairedHint);
        this.#setState('paired', TEXT.paired);
        this.#view.setMatchInfo(message.sharedInterests, message.partnerCountry);
        if (window.matchMedia('(pointer: fine)').matches) this.#view.chatInput.focus();
        return;
      case 'partner.left':
        this.#partnerLeft(message.reason);
        return;
      case 'partner.reconnecting':
      case 'partner.back':
        if (this.#state === 'paired') this.#view.setStatus(partnerConnectionText(message.type));
        return;
      case 'partner.media':
        if (this.#state === 'paired') this.#partner.media(message);
        return;
      case 'partner.blur':
        if (this.#state === 'paired') this.#partner.blur();
        return;
      case 'media.consume':
        if (this.#active && this.#settings?.mode === 'video') void this.#consume(message.consumers);
        return;
      case 'media.layers':
        if (this.#state === 'paired') this.#partner.layers(message);
        return;
      case 'media.reset':
        this.#video.reset();
        this.#view.setRemoteStream(null);
        if (this.#active && this.#settings?.mode === 'video') {
          this.#partner.end();
          void this.#begin(TEXT.reconnectingVideo);
        }
        return;
      case 'chat':
        if (this.#state !== 'paired') return;
        this.#partner.typing(false);
        this.#log.add('partner', message.text);
        return;
      case 'chat.warning':
        this.#log.add('system', message.message);
        return;
      case 'typing':
        if (this.#state === 'paired') this.#partner.typing(message.typing);
        return;
      case 'closing':
      case 'error':
        this.#notice(serverNotice(message, { closedForGood: this.#signaling.stopReason !== null, onLanding: this.#state === 'landing' }));
        return;
      default:
        assertUnreachable(message);
    }
  }

  #notice({ halt, closedMessage, show }: NoticeEffect): void {
    if (closedMessage !== null) this.#closedMessage = closedMessage;
    if (halt) this.#halt();
    if (show?.as === 'error') this.#setState('error', show.text);
    else if (show) this.#view.setStatus(show.text);
  }

  async #consume(consumers: Parameters<VideoCall['consume']>[0]): Promise<void> {
    const shown = await this.#partner.show(consumers, () => this.#active);
    if (!shown && this.#state === 'paired') this.#view.setStatus(TEXT.videoFailed);
  }

  #partnerLeft(reason: Parameters<typeof partnerLeftText>[0]): void {
    // Only the current partner can leave; after our own Next we are already searching.
    if (this.#state !== 'paired') return;
    const text = partnerLeftText(reason);
    this.#partner.end();
    this.#log.add('system', text);
    this.#setState('partner-left', text);
  }

  /** The socket is gone, and with it our server-side media and any partner. */
  #onLost(): void {
    this.#video.reset();
    const wasPaired = this.#state === 'paired';
    this.#partner.end();
    if (!this.#active || this.#state === 'landing') return;
    this.#run++;
    if (wasPaired) this.#log.add('system', TEXT.connectionLost);
    this.#setState('reconnecting', TEXT.reconnecting);
  }

  // ---- helpers -----------------------------------------------------------------------------------

  /** The user stops searching: older runs stop at their next await and the partner is forgotten. */
  #halt(): void {
    this.#active = false;
    this.#run++;
    this.#partner.end();
  }

  async #releaseCamera(): Promise<void> {
    const camera = this.#video.camera;
    this.#view.setLocalStream(null);
    try {
      await this.#video.releaseCamera();
    } catch (error) {
      console.warn('releaseCamera() | failed', error);
      stopStream(camera);
    }
  }

  #setState(state: UiState, status: string | null): void {
    this.#state = state;
    this.#view.setState(state, status, this.#settings?.mode === 'video' && this.#video.camera !== null);
  }
}
