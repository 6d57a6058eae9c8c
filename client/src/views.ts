import type { ChatMode } from '../../src/protocol/messages.js';
import { countryName } from './countries.js';
import { controlsFor, type UiState } from './controls.js';
import { byId, setShown } from './dom.js';
import type { MediaKind } from './media.js';
import { sharedInterestsText } from './texts.js';

/** The chat view's elements and the few ways the session changes them. No decisions here. */
export class ChatView {
  readonly landing = byId('landing', HTMLElement);
  readonly chat = byId('chat-view', HTMLElement);
  readonly status = byId('status', HTMLElement);
  readonly messages = byId('messages', HTMLElement);
  readonly typingIndicator = byId('typing-indicator', HTMLElement);
  readonly chatForm = byId('chat-form', HTMLFormElement);
  readonly chatInput = byId('chat-input', HTMLInputElement);
  readonly send = byId('send', HTMLButtonElement);
  readonly next = byId('next', HTMLButtonElement);
  readonly stop = byId('stop', HTMLButtonElement);
  readonly startAgain = byId('start-again', HTMLButtonElement);
  readonly backHome = byId('back-home', HTMLButtonElement);
  readonly report = byId('report', HTMLButtonElement);
  readonly mute = byId('mute', HTMLButtonElement);
  readonly camera = byId('camera', HTMLButtonElement);
  readonly mediaError = byId('media-error', HTMLElement);
  readonly useTextOnly = byId('use-text-only', HTMLButtonElement);
  readonly retryCamera = byId('retry-camera', HTMLButtonElement);
  readonly localVideo = byId('local-video', HTMLVideoElement);
  readonly remoteVideo = byId('remote-video', HTMLVideoElement);
  readonly tapToPlay = byId('tap-to-play', HTMLButtonElement);
  readonly #mediaErrorText = byId('media-error-text', HTMLElement);
  readonly #sharedInterests = byId('shared-interests', HTMLElement);
  readonly #partnerCountry = byId('partner-country', HTMLElement);
  readonly #partnerMedia = byId('partner-media', HTMLElement);
  /** The connection-quality note under the partner's video (client/src/connection-quality.ts). */
  readonly partnerQuality = byId('partner-quality', HTMLElement);
  readonly #localOff = byId('local-off', HTMLElement);
  readonly #waitingOverlay = byId('remote-overlay', HTMLElement);
  readonly #nextLabel = byId('next-label', HTMLElement);
  #mode: ChatMode = 'video';

  constructor() {
    this.tapToPlay.addEventListener('click', () => this.#play());
  }

  showLanding(): void {
    setShown(this.chat, false);
    setShown(this.landing, true);
    document.body.dataset.mode = '';
  }

  showChat(mode: ChatMode): void {
    this.#mode = mode;
    document.body.dataset.mode = mode;
    setShown(this.landing, false);
    setShown(this.chat, true);
  }

  get mode(): ChatMode {
    return this.#mode;
  }

  /** Sets `body[data-state]`, the status line and which controls are offered. */
  setState(state: UiState, status: string | null, hasCamera: boolean): void {
    document.body.dataset.state = state;
    if (status !== null) this.setStatus(status);
    const controls = controlsFor(state, this.#mode, hasCamera);
    setShown(this.next, controls.next.shown);
    this.next.disabled = !controls.next.enabled;
    this.#nextLabel.textContent = controls.next.label;
    setShown(this.startAgain, controls.startAgain);
    setShown(this.backHome, controls.backHome);
    setShown(this.stop, controls.stop.shown);
    this.stop.disabled = !controls.stop.enabled;
    setShown(this.report, controls.report.shown);
    this.report.disabled = !controls.report.enabled;
    for (const button of [this.mute, this.camera]) {
      setShown(button, controls.media.shown);
      button.disabled = !controls.media.enabled;
    }
    this.chatInput.disabled = !controls.chat;
    this.send.disabled = !controls.chat;
    this.chatInput.placeholder = controls.chat ? 'Type a message…' : 'You can chat once you are paired';
    setShown(this.#waitingOverlay, state !== 'paired');
    this.#waitingOverlay.textContent = state === 'paired' ? '' : (status ?? this.status.textContent ?? '');
    if (state !== 'paired') this.setMatchInfo([], undefined);
  }

  setStatus(text: string): void {
    this.status.textContent = text;
  }

  setMatchInfo(sharedInterests: readonly string[], partnerCountry: string | undefined): void {
    this.#sharedInterests.textContent = sharedInterestsText(sharedInterests);
    setShown(this.#sharedInterests, sharedInterests.length > 0);
    this.#partnerCountry.textContent = partnerCountry ? `Stranger is from ${countryName(partnerCountry)}` : '';
    if (partnerCountry) this.#partnerCountry.dataset.country = partnerCountry;
    else delete this.#partnerCountry.dataset.country;
    setShown(this.#partnerCountry, partnerCountry !== undefined);
  }

  /** The partner's own mute / camera-off state; null hides the indicator. */
  setPartnerMedia(state: { audio: boolean; video: boolean } | null): void {
    const notes: string[] = [];
    if (state && !state.audio) notes.push('Stranger is muted');
    if (state && !state.video) notes.push('Stranger’s camera is off');
    this.#partnerMedia.textContent = notes.join(' · ');
    this.#partnerMedia.dataset.audio = String(state?.audio ?? true);
    this.#partnerMedia.dataset.video = String(state?.video ?? true);
    setShown(this.#partnerMedia, notes.length > 0);
    this.remoteVideo.classList.toggle('camera-off', state !== null && !state.video);
  }

  /** Moderation flagged the partner's video: blur it (cleared with the partner). */
  setPartnerBlurred(blurred: boolean): void {
    this.remoteVideo.classList.toggle('moderation-blur', blurred);
  }

  setPaused(kind: MediaKind, paused: boolean): void {
    const button = kind === 'audio' ? this.mute : this.camera;
    button.setAttribute('aria-pressed', String(paused));
    const label = button.querySelector('.label');
    if (label) {
      label.textContent = kind === 'audio' ? (paused ? 'Unmute' : 'Mute') : paused ? 'Camera on' : 'Camera off';
    }
    if (kind === 'video') setShown(this.#localOff, paused);
  }

  setLocalStream(stream: MediaStream | null): void {
    // Muted and autoplay: the browser starts it without a gesture.
    this.localVideo.srcObject = stream;
  }

  setRemoteStream(stream: MediaStream | null): void {
    this.remoteVideo.srcObject = stream;
    setShown(this.tapToPlay, false);
    if (stream) this.#play();
  }

  showMediaError(text: string | null): void {
    this.#mediaErrorText.textContent = text ?? '';
    setShown(this.mediaError, text !== null);
  }

  /** Autoplay with sound can be refused by the browser: then offer a tap to start it. */
  #play(): void {
    setShown(this.tapToPlay, false);
    this.remoteVideo.play().catch((error: unknown) => {
      if (error instanceof DOMException && error.name === 'NotAllowedError') setShown(this.tapToPlay, true);
    });
  }
}
