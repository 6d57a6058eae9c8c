import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import { logger } from '../../logging/logger.js';
import { DecoderPool } from './decoder-pool.js';
import { FrameTapError } from './errors.js';
import { consumerLayerCounts, preferredLayers } from '../layer-cap.js';
import { KeyframeAssembler, type Vp8Keyframe } from './rtp-vp8.js';

const log = logger('frame-tap');
const DEFAULT_TIMEOUT_MS = 3000;

export interface FrameTapOptions {
  /** Output width in pixels (even, 16..1920), default 320. Ignored when `decoders` is given. */
  width?: number;
  /** The ffmpeg binary (see `resolveFfmpeg()`); required unless `decoders` is given. */
  ffmpegPath?: string;
  /** A decoder pool shared with other taps; the tap then neither creates nor closes decoders. */
  decoders?: DecoderPool;
}

/** One moderation sample: a decoded keyframe of the producer, in memory only. */
export interface FrameSample {
  /** Packed RGB, 3 bytes per pixel, rows top to bottom. */
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** The source's own resolution, from the keyframe header. */
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  /** When the keyframe was complete (ms since the epoch). */
  readonly capturedAt: number;
  /** Milliseconds from the keyframe request to the complete keyframe, then to the decoded image. */
  readonly timings: { readonly keyframeMs: number; readonly decodeMs: number };
}

export type FrameTapEvents = {
  /** An owned decoder died; the next sample starts a new one. Shared pools report on the pool. */
  decoderdied: [FrameTapError];
  /** The tap closed itself because its producer, transport or router closed. */
  close: [];
};

/**
 * Takes decoded low-resolution images of a live VP8 producer on demand, for moderation. A
 * DirectTransport consumer of the producer stays paused between samples; a sample resumes it,
 * requests a keyframe, reassembles that keyframe from RTP in process, pauses the consumer again and
 * has a long-lived ffmpeg decode it. The partner's consumer is a different consumer: untouched.
 */
export class FrameTap extends EventEmitter<FrameTapEvents> {
  readonly #transport: types.DirectTransport;
  readonly #consumer: types.Consumer;
  readonly #decoders: DecoderPool;
  readonly #ownsDecoders: boolean;
  readonly #assembler: KeyframeAssembler;
  #onKeyframe: ((keyframe: Vp8Keyframe) => void) | undefined;
  /** Rejects the keyframe wait of the sample in progress (used by close()). */
  #abortWait: ((error: FrameTapError) => void) | undefined;
  #sampling = false;
  #closed = false;

  private constructor(transport: types.DirectTransport, consumer: types.Consumer, decoders: DecoderPool, ownsDecoders: boolean, payloadType: number) {
    super();
    this.#transport = transport;
    this.#consumer = consumer;
    this.#decoders = decoders;
    this.#ownsDecoders = ownsDecoders;
    this.#assembler = new KeyframeAssembler(payloadType);
    consumer.on('rtp', (packet) => this.#onRtp(packet));
    consumer.on('producerclose', () => this.close());
    consumer.on('transportclose', () => this.close());
    if (ownsDecoders) decoders.on('decoderdied', (error) => this.emit('decoderdied', error));
  }

  /**
   * Creates the paused consumer (and, unless a pool is shared, one ffmpeg decoder).
   * @throws FrameTapError `bad-producer`, `ffmpeg-not-found`; TypeError on bad options.
   */
  static async create(router: types.Router, producer: types.Producer, options: FrameTapOptions): Promise<FrameTap> {
    if (producer.kind !== 'video') throw new FrameTapError('bad-producer', `create() | producer ${producer.id} is ${producer.kind}, not video`);
    const mimeType = producer.rtpParameters.codecs[0]?.mimeType.toLowerCase();
    if (mimeType !== 'video/vp8')
      throw new FrameTapError('bad-producer', `create() | producer ${producer.id} sends ${mimeType ?? 'nothing'}; the tap reads VP8 only`);
    if (!options.decoders && options.ffmpegPath === undefined) throw new TypeError('FrameTap.create() | ffmpegPath or decoders is required');
    const decoders = options.decoders ?? (await DecoderPool.create({ ffmpegPath: options.ffmpegPath ?? '', width: options.width ?? 320 }));
    let transport: types.DirectTransport | undefined;
    try {
      transport = await router.createDirectTransport();
      transport.appData.purpose = 'frame-tap';
      const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities, paused: true });
      if (consumer.type === 'simulcast') await consumer.setPreferredLayers(preferredLayers(consumerLayerCounts(consumer), 'frame-tap'));
      const vp8 = consumer.rtpParameters.codecs.find((codec) => codec.mimeType.toLowerCase() === 'video/vp8');
      if (!vp8) throw new FrameTapError('bad-producer', `create() | the consumer of producer ${producer.id} carries no VP8`);
      log.debug({ producerId: producer.id, consumerId: consumer.id }, 'create() | tap ready');
      return new FrameTap(transport, consumer, decoders, !options.decoders, vp8.payloadType);
    } catch (error) {
      transport?.close();
      if (!options.decoders) decoders.close();
      throw error;
    }
  }

  /** The tap's consumer (paused except during a sample); exposed for tests and metrics. */
  get consumer(): types.Consumer {
    return this.#consumer;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Process ids of the decoders this tap owns (none when the pool is shared). */
  get decoderPids(): number[] {
    return this.#ownsDecoders ? this.#decoders.pids : [];
  }

  /**
   * Takes one sample: resume, request a keyframe, wait for it, pause, decode.
   * @param timeoutMs for the whole sample (keyframe and decode), default 3000.
   * @throws FrameTapError `busy` when a sample is in progress (this one is dropped), `timeout`,
   *   `producer-paused`, `closed`, `decoder-died`.
   */
  async sample(options: { timeoutMs?: number } = {}): Promise<FrameSample> {
    if (this.#closed) throw new FrameTapError('closed', 'sample() | tap is closed');
    if (this.#sampling) throw new FrameTapError('busy', 'sample() | a sample is in progress; this one is dropped');
    if (this.#consumer.producerPaused) throw new FrameTapError('producer-paused', `sample() | producer ${this.#consumer.producerId} is paused`);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#sampling = true;
    const startedAt = Date.now();
    try {
      const keyframe = await this.#nextKeyframe(timeoutMs);
      const capturedAt = Date.now();
      await this.#pause();
      const remainingMs = Math.max(1, timeoutMs - (capturedAt - startedAt));
      const image = await this.#decoders.decode(keyframe, remainingMs);
      return {
        ...image,
        sourceWidth: keyframe.width,
        sourceHeight: keyframe.height,
        capturedAt,
        timings: { keyframeMs: capturedAt - startedAt, decodeMs: Date.now() - capturedAt },
      };
    } finally {
      this.#onKeyframe = undefined;
      this.#assembler.reset();
      try {
        await this.#pause();
      } catch (error) {
        // the sample's own outcome stands; RTP that still arrives is dropped by #onRtp at once
        log.error({ consumerId: this.#consumer.id, err: (error as Error).message }, 'sample() | cannot pause the consumer');
      } finally {
        this.#sampling = false;
      }
    }
  }

  /** Closes the consumer and its transport, and the decoders when the tap owns them. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onKeyframe = undefined;
    this.#abortWait?.(new FrameTapError('closed', 'sample() | tap closed during the sample'));
    this.#transport.close();
    if (this.#ownsDecoders) this.#decoders.close();
    this.emit('close');
  }

  /** Resolves when the decoder processes this tap owns have exited. */
  async whenDecodersExited(): Promise<void> {
    if (this.#ownsDecoders) await this.#decoders.whenExited();
  }

  #nextKeyframe(timeoutMs: number): Promise<Vp8Keyframe> {
    return new Promise<Vp8Keyframe>((resolve, reject) => {
      const settle = (outcome: { keyframe: Vp8Keyframe } | { error: Error }): void => {
        clearTimeout(timer);
        this.#onKeyframe = undefined;
        this.#abortWait = undefined;
        if ('keyframe' in outcome) resolve(outcome.keyframe);
        else reject(outcome.error);
      };
      const timer = setTimeout(() => {
        settle({
          error: new FrameTapError('timeout', `sample() | no keyframe from producer ${this.#consumer.producerId} within ${timeoutMs} ms`, { timeoutMs }),
        });
      }, timeoutMs);
      this.#onKeyframe = (keyframe) => settle({ keyframe });
      this.#abortWait = (error) => settle({ error });
      this.#assembler.reset();
      this.#consumer
        .resume()
        .then(() => this.#consumer.requestKeyFrame())
        .catch((error: Error) => settle({ error: this.#closed ? new FrameTapError('closed', 'sample() | tap closed during the sample') : error }));
    });
  }

  #onRtp(packet: Buffer): void {
    if (!this.#onKeyframe) return; // cheap: between samples nothing is parsed (and nothing arrives)
    const keyframe = this.#assembler.push(packet);
    if (keyframe) this.#onKeyframe(keyframe);
  }

  async #pause(): Promise<void> {
    if (this.#closed || this.#consumer.closed || this.#consumer.paused) return;
    try {
      await this.#consumer.pause();
    } catch (error) {
      if (!this.#consumer.closed) throw error;
    }
  }
}
