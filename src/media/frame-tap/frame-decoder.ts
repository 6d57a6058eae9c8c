import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { logger } from '../../logging/logger.js';
import { FrameTapError } from './errors.js';
import { ivfFileHeader, ivfFrame } from './ivf.js';
import { PpmStreamReader, type RgbImage } from './ppm-reader.js';
import type { Vp8Keyframe } from './rtp-vp8.js';

const log = logger('frame-decoder');
const STDERR_TAIL_BYTES = 2048;

export interface FrameDecoderOptions {
  /** The ffmpeg binary (see `resolveFfmpeg()`). */
  ffmpegPath: string;
  /** Output width in pixels, even, 16..1920; the height follows the source's aspect ratio. */
  width: number;
}

export type FrameDecoderEvents = {
  /** The ffmpeg process exited without being closed; the decoder is closed. */
  died: [FrameTapError];
};

type Decoder = ChildProcessByStdio<Writable, Readable, Readable>;

/**
 * One long-lived ffmpeg process that turns VP8 keyframes into scaled RGB images: keyframes go in
 * as an IVF stream on stdin, images come out as PPM on stdout, in order, one per keyframe. Only
 * keyframes are ever written, so every input decodes on its own and streams can share a decoder.
 * One keyframe at a time: a second `decode()` while one runs is refused with `busy`.
 */
export class FrameDecoder extends EventEmitter<FrameDecoderEvents> {
  readonly width: number;
  readonly #child: Decoder;
  readonly #reader = new PpmStreamReader();
  readonly #exited: Promise<void>;
  #stderrTail = '';
  #sourceSize: { width: number; height: number } | undefined;
  #pts = 0;
  #pending: { resolve: (image: RgbImage) => void; reject: (error: Error) => void } | undefined;
  #closed = false;

  private constructor(options: FrameDecoderOptions, child: Decoder) {
    super();
    this.width = options.width;
    this.#child = child;
    // once() rejects when 'error' comes first (ffmpeg could not be started): that process is gone too,
    // and a rejection here would be unhandled wherever whenExited() is only awaited for cleanup.
    this.#exited = once(child, 'exit').then(
      () => undefined,
      () => undefined,
    );
    child.stdout.on('data', (chunk: Buffer) => this.#onOutput(chunk));
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      this.#stderrTail = (this.#stderrTail + text).slice(-STDERR_TAIL_BYTES);
    });
    child.stdin.on('error', () => undefined); // EPIPE when ffmpeg dies: reported through 'exit'
    child.once('exit', (code, signal) => this.#onExit(code, signal));
  }

  /**
   * Starts ffmpeg and waits until the process is running.
   * @throws TypeError on a bad width; FrameTapError `ffmpeg-not-found` when it cannot be spawned.
   */
  static async create(options: FrameDecoderOptions): Promise<FrameDecoder> {
    if (!Number.isInteger(options.width) || options.width < 16 || options.width > 1920 || options.width % 2 !== 0) {
      throw new TypeError(`FrameDecoder.create() | width must be an even integer in 16..1920, got ${options.width}`);
    }
    const child = spawn(options.ffmpegPath, decoderArgs(options.width), { stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      await once(child, 'spawn');
    } catch (error) {
      throw new FrameTapError('ffmpeg-not-found', `cannot start ffmpeg (${options.ffmpegPath}): ${(error as Error).message}`, { path: options.ffmpegPath });
    }
    log.debug({ pid: child.pid, width: options.width }, 'create() | decoder started');
    return new FrameDecoder(options, child);
  }

  /** The ffmpeg process id (for metrics and tests). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /**
   * Whether this decoder can take the keyframe: it is fresh or has decoded this source size before.
   * The ffmpeg CLI fixes its output size at the first frame, so after a resolution change the
   * image would be distorted; a different source size needs another (or a restarted) decoder.
   */
  accepts(keyframe: Vp8Keyframe): boolean {
    const size = this.#sourceSize;
    return size === undefined || (size.width === keyframe.width && size.height === keyframe.height);
  }

  get busy(): boolean {
    return this.#pending !== undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves once the ffmpeg process has exited (after close() or death). */
  whenExited(): Promise<void> {
    return this.#exited;
  }

  /**
   * Decodes one keyframe into an RGB image `width` pixels wide.
   * @throws FrameTapError `busy`, `closed`, `decoder-died`; TypeError when `accepts()` is false.
   */
  decode(keyframe: Vp8Keyframe): Promise<RgbImage> {
    if (this.#closed) return Promise.reject(new FrameTapError('closed', 'decode() | decoder is closed'));
    if (this.#pending) return Promise.reject(new FrameTapError('busy', 'decode() | a keyframe is being decoded already'));
    if (!this.accepts(keyframe))
      return Promise.reject(new TypeError(`decode() | this decoder takes ${this.#sourceSize?.width}x${this.#sourceSize?.height} keyframes only`));
    return new Promise<RgbImage>((resolve, reject) => {
      this.#pending = { resolve, reject };
      if (!this.#sourceSize) {
        this.#child.stdin.write(ivfFileHeader(keyframe.width, keyframe.height));
        this.#sourceSize = { width: keyframe.width, height: keyframe.height };
      }
      this.#child.stdin.write(ivfFrame(keyframe.data, this.#pts++));
    });
  }

  /** Kills ffmpeg; a decode in progress is rejected with `closed`. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#child.kill('SIGKILL');
    this.#settle(new FrameTapError('closed', 'decode() | decoder closed'));
  }

  #onOutput(chunk: Buffer): void {
    let images: RgbImage[];
    try {
      images = this.#reader.push(chunk);
    } catch (error) {
      this.#fail(`unreadable ffmpeg output: ${(error as Error).message}`);
      return;
    }
    for (const image of images) {
      const pending = this.#pending;
      this.#pending = undefined;
      pending?.resolve(image);
    }
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#closed) return;
    this.#fail(`ffmpeg exited (${code ?? signal}): ${this.#stderrTail.trim().split('\n').slice(-3).join(' | ') || 'no message'}`);
  }

  #fail(message: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#child.kill('SIGKILL');
    const error = new FrameTapError('decoder-died', message, { pid: this.#child.pid ?? -1 });
    log.error({ pid: this.#child.pid, err: message }, 'decoder died');
    this.#settle(error);
    this.emit('died', error);
  }

  #settle(error: FrameTapError): void {
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(error);
  }
}

/**
 * IVF on stdin, no probing delay, one decoding thread (frame threads would hold a frame back),
 * area scaling to the width with an even height, every frame out at once as PPM on stdout.
 */
function decoderArgs(width: number): string[] {
  return [
    '-hide_banner',
    '-nostats',
    '-loglevel',
    'error',
    '-f',
    'ivf',
    '-probesize',
    '32',
    '-analyzeduration',
    '0',
    '-threads',
    '1',
    '-i',
    'pipe:0',
    '-vf',
    `scale=${width}:-2:flags=area`,
    '-fps_mode',
    'passthrough',
    '-c:v',
    'ppm',
    '-f',
    'image2pipe',
    '-flush_packets',
    '1',
    'pipe:1',
  ];
}
