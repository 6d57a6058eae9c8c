/**
 * One simulated chatter. A video bot builds the browser client's MediaLink (real ICE, DTLS and
 * SRTP through mediasoup-client on @roamhq/wrtc), produces a synthetic camera and microphone, and
 * consumes each partner it is paired with; a text bot only pairs and says hello. Both follow the
 * server's pushes the way client/src/session.ts does: after partner.left they search again.
 */
import { assertUnreachable, type ChatMode, type ConsumerDescription } from '../../src/protocol/messages.js';
import { isRequestError } from '../../client/src/errors.js';
import { MediaLink } from '../../client/src/media.js';
import type { Push } from '../../client/src/signaling.js';
import { BotSignaling } from './bot-signaling.js';
import { createSyntheticMedia, DEFAULT_MEDIA, type SyntheticMedia, type SyntheticMediaOptions } from './synthetic-media.js';

export interface BotCounters {
  pairings: number;
  chatsReceived: number;
  consumeFailures: number;
  requestFailures: number;
  /** Failed requests and consumes by error code (or error name). */
  failureKinds: Record<string, number>;
  /** From Next (or partner.left) to the next `paired`, in ms. */
  pairingLatenciesMs: number[];
}

const WORDS = [
  'hello',
  'there',
  'weather',
  'music',
  'coffee',
  'travel',
  'books',
  'river',
  'garden',
  'summer',
  'mountain',
  'guitar',
  'planet',
  'window',
  'orange',
  'football',
];

/** A different sentence each time: the server's repeat filter blocks a sender's near-identical messages. */
function greeting(): string {
  return Array.from({ length: 6 }, () => WORDS[Math.floor(Math.random() * WORDS.length)]).join(' ');
}

export class Bot {
  readonly mode: ChatMode;
  readonly #signaling: BotSignaling;
  readonly #media: SyntheticMedia | null;
  readonly #link: MediaLink | null;
  readonly counters: BotCounters = {
    pairings: 0,
    chatsReceived: 0,
    consumeFailures: 0,
    requestFailures: 0,
    failureKinds: {},
    pairingLatenciesMs: [],
  };
  /** When the current search began (Next pressed or partner left), while one is under way. */
  #searchingSince: number | null = null;
  #paired = false;
  #stopped = false;

  private constructor(mode: ChatMode, signaling: BotSignaling, media: SyntheticMedia | null, link: MediaLink | null) {
    this.mode = mode;
    this.#signaling = signaling;
    this.#media = media;
    this.#link = link;
    signaling.on('push', (message) => this.#onPush(message));
  }

  /** Connects, sets media up (video, from a synthetic camera and microphone as `synthetic` says), and starts searching. */
  static async create(origin: string, mode: ChatMode, synthetic: SyntheticMediaOptions = DEFAULT_MEDIA): Promise<Bot> {
    const signaling = await BotSignaling.create(origin);
    let media: SyntheticMedia | null = null;
    let link: MediaLink | null = null;
    try {
      if (mode === 'video') {
        media = createSyntheticMedia(synthetic);
        link = await MediaLink.create(signaling, media.stream, { audio: false, video: false });
      }
    } catch (error) {
      media?.stop();
      signaling.close();
      throw error;
    }
    const bot = new Bot(mode, signaling, media, link);
    await signaling.request('start', { mode, interests: [], countries: [] });
    return bot;
  }

  get paired(): boolean {
    return this.#paired;
  }

  /** Its socket is open (a bot whose socket closed is done). */
  get connected(): boolean {
    return this.#signaling.open;
  }

  /** Presses Next (only while paired). */
  async next(): Promise<void> {
    if (!this.#paired || this.#stopped) return;
    this.#paired = false;
    this.#searchingSince = performance.now();
    this.#link?.closeConsumers();
    await this.#search(['next', 'start']);
  }

  async sendStats(): Promise<object[]> {
    return this.#link ? this.#link.sendStats() : [];
  }

  /** The receive transport's stats (inbound-rtp and the rest), as wrtc reports them. */
  async recvStats(): Promise<object[]> {
    return this.#link ? this.#link.recvStats() : [];
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#link?.close();
    this.#media?.stop();
    this.#signaling.close();
  }

  #onPush(message: Push): void {
    if (this.#stopped) return;
    switch (message.type) {
      case 'paired':
        this.#paired = true;
        this.counters.pairings++;
        if (this.#searchingSince !== null) this.counters.pairingLatenciesMs.push(performance.now() - this.#searchingSince);
        this.#searchingSince = null;
        if (this.mode === 'text') this.#request(this.#signaling.request('chat', { text: greeting() }));
        return;
      case 'partner.left':
        this.#paired = false;
        this.#searchingSince = performance.now();
        this.#link?.closeConsumers();
        void this.#search(['start', 'next']);
        return;
      case 'media.consume':
        void this.#consume(message.consumers);
        return;
      case 'chat':
        this.counters.chatsReceived++;
        return;
      case 'waiting':
        this.#link?.closeConsumers();
        return;
      case 'welcome':
      case 'online':
      case 'partner.media':
      case 'partner.blur':
      case 'media.reset':
      case 'media.layers':
      case 'partner.reconnecting':
      case 'partner.back':
      case 'chat.warning':
      case 'typing':
      case 'closing':
      case 'error':
        return;
      default:
        assertUnreachable(message);
    }
  }

  async #consume(consumers: readonly ConsumerDescription[]): Promise<void> {
    if (!this.#link) return;
    try {
      await this.#link.consume(consumers);
    } catch (error) {
      if (this.#stopped) return;
      this.counters.consumeFailures++;
      this.#countFailure(error);
    }
  }

  /** As the client: after partner.left the server may hold us idle (start) or queued (next). */
  async #search(order: readonly ('next' | 'start')[]): Promise<void> {
    for (const type of order) {
      try {
        if (type === 'next') await this.#signaling.request('next', {});
        else await this.#signaling.request('start', { mode: this.mode, interests: [], countries: [] });
        return;
      } catch (error) {
        if (isRequestError(error, 'wrong_state')) continue;
        if (!this.#stopped) this.#countRequestFailure(error);
        return;
      }
    }
  }

  #request(promise: Promise<unknown>): void {
    promise.catch((error: unknown) => {
      if (!this.#stopped) this.#countRequestFailure(error);
    });
  }

  #countRequestFailure(error: unknown): void {
    this.counters.requestFailures++;
    this.#countFailure(error);
  }

  #countFailure(error: unknown): void {
    const kind = isRequestError(error) ? error.code : error instanceof Error ? error.name : 'unknown';
    this.counters.failureKinds[kind] = (this.counters.failureKinds[kind] ?? 0) + 1;
  }
}
