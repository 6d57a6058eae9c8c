import { EventEmitter } from 'node:events';
import { FrameTapError } from './errors.js';
import { FrameDecoder } from './frame-decoder.js';
import type { RgbImage } from './ppm-reader.js';
import type { Vp8Keyframe } from './rtp-vp8.js';

export interface DecoderPoolOptions {
  /** The ffmpeg binary (see `resolveFfmpeg()`). */
  ffmpegPath: string;
  /** Output width in pixels (even, 16..1920). */
  width: number;
  /** Number of long-lived ffmpeg decoders; default 1. Each decodes one keyframe at a time. */
  size?: number;
}

export type DecoderPoolEvents = {
  /** A decoder exited unexpectedly (or was killed after a stuck decode); it is restarted on demand. */
  decoderdied: [FrameTapError];
};

/**
 * A fixed number of long-lived ffmpeg decoders shared by any number of taps. A keyframe goes to an
 * idle decoder; when all are busy it is refused with `busy` (samples are dropped, never queued).
 * A dead decoder is replaced the next time one is needed.
 */
export class DecoderPool extends EventEmitter<DecoderPoolEvents> {
  readonly width: number;
  readonly #ffmpegPath: string;
  readonly #decoders: (FrameDecoder | undefined)[];
  #closed = false;

  private constructor(options: DecoderPoolOptions, decoders: FrameDecoder[]) {
    super();
    this.width = options.width;
    this.#ffmpegPath = options.ffmpegPath;
    this.#decoders = decoders;
    decoders.forEach((decoder, index) => this.#watch(decoder, index));
  }

  /** Starts every decoder. @throws FrameTapError `ffmpeg-not-found`; TypeError on bad options. */
  static async create(options: DecoderPoolOptions): Promise<DecoderPool> {
    const size = options.size ?? 1;
    if (!Number.isInteger(size) || size < 1) throw new TypeError(`DecoderPool.create() | size must be a positive integer, got ${size}`);
    const decoders: FrameDecoder[] = [];
    try {
      for (let i = 0; i < size; i++) decoders.push(await FrameDecoder.create(options));
    } catch (error) {
      for (const decoder of decoders) decoder.close();
      throw error;
    }
    return new DecoderPool(options, decoders);
  }

  /** Process ids of the live decoders (for metrics and tests). */
  get pids(): number[] {
    return this.#decoders.flatMap((d) => (d && !d.closed && d.pid !== undefined ? [d.pid] : []));
  }

  /** Resolves when every decoder process started so far has exited. */
  async whenExited(): Promise<void> {
    await Promise.all(this.#all.map((d) => d.whenExited()));
  }

  /** Every decoder started, until it has exited. */
  readonly #all: FrameDecoder[] = [];
  /** Slots whose replacement decoder is being started. */
  readonly #starting = new Set<number>();

  /**
   * Decodes one keyframe on an idle decoder. A decode that takes longer than `timeoutMs` kills its
   * decoder (its output order can no longer be trusted) and rejects with `timeout`.
   * @throws FrameTapError `busy`, `timeout`, `closed`, `decoder-died`, `ffmpeg-not-found`.
   */
  async decode(keyframe: Vp8Keyframe, timeoutMs: number): Promise<RgbImage> {
    if (this.#closed) throw new FrameTapError('closed', 'decode() | decoder pool is closed');
    const decoder = await this.#idleDecoder(keyframe);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // reject first: the race must settle with `timeout`, not with the `closed` that close() causes
        reject(new FrameTapError('timeout', `decode() | ffmpeg gave no image within ${timeoutMs} ms`, { timeoutMs }));
        decoder.close();
      }, timeoutMs);
    });
    try {
      return await Promise.race([decoder.decode(keyframe), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills every decoder. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const decoder of this.#decoders) decoder?.close();
  }

  /**
   * An idle decoder that takes this keyframe's size; else a dead slot, or an idle decoder of another
   * size (closed: sizes change seldom, a restart costs tens of ms), refilled with a fresh decoder.
   */
  async #idleDecoder(keyframe: Vp8Keyframe): Promise<FrameDecoder> {
    const live = (d: FrameDecoder | undefined): d is FrameDecoder => d !== undefined && !d.closed;
    const match = this.#decoders.find((d) => live(d) && !d.busy && d.accepts(keyframe));
    if (match) return match;
    let index = this.#decoders.findIndex((d, i) => !live(d) && !this.#starting.has(i));
    if (index < 0) index = this.#decoders.findIndex((d) => live(d) && !d.busy);
    if (index < 0) throw new FrameTapError('busy', 'decode() | every decoder is busy; sample dropped');
    this.#decoders[index]?.close();
    this.#decoders[index] = undefined;
    this.#starting.add(index);
    let fresh: FrameDecoder;
    try {
      fresh = await FrameDecoder.create({ ffmpegPath: this.#ffmpegPath, width: this.width });
    } finally {
      this.#starting.delete(index);
    }
    if (this.#closed) {
      fresh.close();
      throw new FrameTapError('closed', 'decode() | decoder pool is closed');
    }
    this.#decoders[index] = fresh;
    this.#watch(fresh, index);
    return fresh;
  }

  #watch(decoder: FrameDecoder, index: number): void {
    this.#all.push(decoder);
    void decoder.whenExited().then(() => this.#all.splice(this.#all.indexOf(decoder), 1));
    decoder.once('died', (error) => {
      if (this.#decoders[index] === decoder) this.#decoders[index] = undefined;
      this.emit('decoderdied', error);
    });
  }
}
