/**
 * A pool of `worker_threads` running the moderation cascade (`workers/classifier-worker.ts`), so
 * hashing and the models never block the event loop. One job per worker at a time, a bounded queue
 * behind them, and back-pressure by refusal: when every worker is busy and the queue is full,
 * `classify()` rejects at once with `PoolBusyError` (the sample is dropped; media is never delayed).
 * A worker that dies fails its in-flight job and is replaced.
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { projectRoot } from '../config/paths.js';
import { logger } from '../logging/logger.js';
import { assertUnreachable } from '../protocol/messages.js';
import {
  type Classification,
  type ClassifierBackend,
  type ClassifierBackendPreference,
  type FromWorkerMessage,
  type ModelLoadErrors,
  type ModelVersions,
  type ToWorkerMessage,
  type WorkerOptions,
} from './classification.js';

const log = logger('classifier-pool');

/** Machine-readable reasons a pool call failed. */
export type ClassifierPoolErrorCode = 'POOL_BUSY' | 'POOL_CLOSED' | 'WORKER_DIED' | 'WORKER_FILE_MISSING' | 'WORKER_START_FAILED' | 'CLASSIFY_FAILED';

export class ClassifierPoolError extends Error {
  override name = 'ClassifierPoolError';
  constructor(
    readonly code: ClassifierPoolErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Every worker is busy and the queue is full: the sample is dropped, not delayed. */
export class PoolBusyError extends ClassifierPoolError {
  override name = 'PoolBusyError';
  constructor(queued: number) {
    super('POOL_BUSY', `classify() | pool busy, sample dropped [queued:${queued}]`);
  }
}

export interface ClassifierPoolOptions {
  /** Worker threads. Default: the number of cores (`os.availableParallelism()`). */
  readonly size?: number;
  /** Jobs waiting for a worker before `classify()` refuses. Default `2 × size`; 0 allowed. */
  readonly queueLimit?: number;
  /** Operator PDQ hash list, loaded by every worker (memory: ≈ 108 B per hash per worker). */
  readonly hashListPath?: string;
  /** Model folders (defaults: the files inside node_modules); for evaluation and tests. */
  readonly nudityModelDir?: string;
  readonly faceModelDir?: string;
  /** Inference runtime of every worker. Default `auto` (onnxruntime-node, else tfjs-node, else tfjs wasm); `cpu` for benchmarks. */
  readonly backend?: ClassifierBackendPreference;
  /** Folder of the converted ONNX models (default: the model cache). */
  readonly onnxModelDir?: string;
  /** Worker entry. Default `<projectRoot>/dist/workers/classifier-worker.js` (built by `npm run build:server`). */
  readonly workerFile?: string;
}

/** What the app reports on its health endpoint; `modelErrors` non-empty → moderation degraded. */
export interface ClassifierPoolHealth {
  readonly workers: number;
  /** Workers loaded and able to take jobs. */
  readonly alive: number;
  readonly busy: number;
  readonly queued: number;
  readonly backend: ClassifierBackend | null;
  readonly modelVersions: ModelVersions;
  readonly modelErrors: ModelLoadErrors;
}

export type ClassifierPoolEvents = {
  /** A worker died (crash or exit); its in-flight job, if any, was rejected. */
  workerdied: [index: number, error: Error];
  /** The replacement for a dead worker has loaded its models and takes jobs. */
  workerrestored: [index: number];
};

interface Job {
  readonly id: number;
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly resolve: (value: Classification) => void;
  readonly reject: (error: Error) => void;
}

interface Ready {
  readonly backend: ClassifierBackend | null;
  readonly modelVersions: ModelVersions;
  readonly modelErrors: ModelLoadErrors;
}

/** One worker thread and what it is doing. */
interface Slot {
  readonly index: number;
  readonly worker: Worker;
  readonly ready: Ready;
  job: Job | null;
  /** Last uncaught error of the thread, reported when it exits. */
  crash: Error | null;
}

/** A worker thread being started: `ready` settles with its `ready` message, or rejects if it exits first. */
function startWorker(file: string, data: WorkerOptions, index: number): { worker: Worker; ready: Promise<Ready> } {
  const worker = new Worker(file, { workerData: data });
  const ready = new Promise<Ready>((resolve, reject) => {
    let lastError: Error | null = null;
    const onError = (error: Error): void => {
      lastError = error;
    };
    const onExit = (code: number): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      const why = lastError ? `: ${lastError.message}` : '';
      reject(
        new ClassifierPoolError('WORKER_START_FAILED', `ClassifierPool | worker ${index} exited with code ${code} before it was ready${why}`, {
          cause: lastError,
        }),
      );
    };
    const onMessage = (message: FromWorkerMessage): void => {
      if (message.type !== 'ready') return;
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      resolve(message);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
  return { worker, ready };
}

/** The default worker entry, built from workers/classifier-worker.ts by `npm run build:server`. */
export const DEFAULT_WORKER_FILE = join(projectRoot, 'dist', 'workers', 'classifier-worker.js');

/** Throws a TypeError unless `rgb` is a packed RGB frame of `width` x `height`. */
function checkFrame(rgb: Uint8Array, width: number, height: number): void {
  if (!(rgb instanceof Uint8Array)) throw new TypeError('classify() | rgb must be a Uint8Array');
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new TypeError(`classify() | invalid frame size ${width}x${height}`);
  if (rgb.length !== width * height * 3) throw new TypeError(`classify() | rgb has ${rgb.length} bytes, expected ${width * height * 3} (${width}x${height}x3)`);
}

/** A view over a whole, transferable ArrayBuffer is sent as is; anything else is copied once. */
function ownedPixels(rgb: Uint8Array): Uint8Array {
  const whole = rgb.buffer instanceof ArrayBuffer && rgb.byteOffset === 0 && rgb.byteLength === rgb.buffer.byteLength;
  return whole ? rgb : rgb.slice();
}

/** See the module comment. Build with `ClassifierPool.create()`; always `close()` it. */
export class ClassifierPool extends EventEmitter<ClassifierPoolEvents> {
  readonly #file: string;
  readonly #data: WorkerOptions;
  readonly #queueLimit: number;
  readonly #slots: (Slot | null)[];
  /** Workers being started (replacements), so `close()` can stop them. */
  readonly #starting = new Set<Worker>();
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closing: Promise<void> | null = null;

  private constructor(file: string, data: WorkerOptions, queueLimit: number, started: { worker: Worker; ready: Ready }[]) {
    super();
    this.#file = file;
    this.#data = data;
    this.#queueLimit = queueLimit;
    this.#slots = started.map(({ worker, ready }, index) => this.#install(index, worker, ready));
  }

  /** Starts `size` workers and resolves once every one has loaded its models. */
  static async create(options: ClassifierPoolOptions = {}): Promise<ClassifierPool> {
    const size = options.size ?? availableParallelism();
    const queueLimit = options.queueLimit ?? 2 * size;
    if (!Number.isInteger(size) || size < 1) throw new TypeError(`ClassifierPool.create() | size must be a positive integer, got ${size}`);
    if (!Number.isInteger(queueLimit) || queueLimit < 0) throw new TypeError(`ClassifierPool.create() | queueLimit must be an integer >= 0, got ${queueLimit}`);
    const file = options.workerFile ?? DEFAULT_WORKER_FILE;
    if (!existsSync(file)) {
      throw new ClassifierPoolError('WORKER_FILE_MISSING', `ClassifierPool.create() | worker file missing: ${file} (run npm run build)`);
    }
    const data: WorkerOptions = {
      hashListPath: options.hashListPath,
      nudityModelDir: options.nudityModelDir,
      faceModelDir: options.faceModelDir,
      backend: options.backend,
      onnxModelDir: options.onnxModelDir,
    };
    const starting = Array.from({ length: size }, (_, index) => startWorker(file, data, index));
    const settled = await Promise.allSettled(starting.map((s) => s.ready));
    const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      await Promise.all(starting.map((s) => s.worker.terminate()));
      throw failure.reason;
    }
    const started = starting.map((s, i) => ({ worker: s.worker, ready: (settled[i] as PromiseFulfilledResult<Ready>).value }));
    const pool = new ClassifierPool(file, data, queueLimit, started);
    const { backend, modelErrors } = pool.health();
    log.info({ workers: size, queueLimit, backend, modelErrors }, 'create() | workers ready');
    return pool;
  }

  /**
   * Classifies one packed RGB frame (`width * height * 3` bytes) on a worker. The pixels are
   * transferred, not copied: afterwards `rgb` is detached (empty) when it viewed a whole
   * ArrayBuffer (a view into a larger buffer is copied once instead). Rejects at once with
   * `PoolBusyError` when every worker is busy and the queue is full, with a TypeError for a bad
   * frame, and with `ClassifierPoolError` (`WORKER_DIED`, `POOL_CLOSED`) otherwise.
   */
  classify(rgb: Uint8Array, width: number, height: number): Promise<Classification> {
    if (this.#closing) return Promise.reject(new ClassifierPoolError('POOL_CLOSED', 'classify() | pool is closed'));
    try {
      checkFrame(rgb, width, height);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new TypeError('invalid frame'));
    }
    const idle = this.#slots.find((slot): slot is Slot => slot !== null && slot.job === null);
    if (!idle && this.#queue.length >= this.#queueLimit) return Promise.reject(new PoolBusyError(this.#queue.length));
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.#nextId++, rgb: ownedPixels(rgb), width, height, resolve, reject };
      if (idle) this.#dispatch(idle, job);
      else this.#queue.push(job);
    });
  }

  /** Counts and model state for the app's health report. */
  health(): ClassifierPoolHealth {
    const live = this.#slots.filter((slot): slot is Slot => slot !== null);
    const first = live[0]?.ready;
    const modelErrors = Object.assign({}, ...live.map((slot) => slot.ready.modelErrors)) as ModelLoadErrors;
    return {
      workers: this.#slots.length,
      alive: live.length,
      busy: live.filter((slot) => slot.job !== null).length,
      queued: this.#queue.length,
      backend: first?.backend ?? null,
      modelVersions: first?.modelVersions ?? { nudity: null, faces: null },
      modelErrors,
    };
  }

  /** Test-only: every live worker crashes (`process.exit` or an uncaught throw) on its next job. */
  testOnlyCrashOnNextJob(how: 'exit' | 'throw'): void {
    for (const slot of this.#slots) slot?.worker.postMessage({ type: 'test-crash-on-next-job', how } satisfies ToWorkerMessage);
  }

  /** Rejects queued and in-flight jobs with `POOL_CLOSED` and terminates the workers. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const closed = (): ClassifierPoolError => new ClassifierPoolError('POOL_CLOSED', 'classify() | pool closed before the frame was classified');
      for (const job of this.#queue.splice(0)) job.reject(closed());
      const workers = [...this.#starting];
      for (const [index, slot] of this.#slots.entries()) {
        if (!slot) continue;
        slot.job?.reject(closed());
        slot.job = null;
        workers.push(slot.worker);
        this.#slots[index] = null;
      }
      await Promise.all(workers.map((worker) => worker.terminate()));
      log.info('close() | workers terminated');
    })();
    return this.#closing;
  }

  #install(index: number, worker: Worker, ready: Ready): Slot {
    const slot: Slot = { index, worker, ready, job: null, crash: null };
    worker.on('message', (message: FromWorkerMessage) => this.#onMessage(slot, message));
    worker.on('error', (error) => {
      slot.crash = error;
    });
    worker.on('exit', (code) => this.#onExit(slot, code));
    return slot;
  }

  #dispatch(slot: Slot, job: Job): void {
    slot.job = job;
    const message: ToWorkerMessage = { type: 'classify', id: job.id, rgb: job.rgb, width: job.width, height: job.height };
    try {
      slot.worker.postMessage(message, [job.rgb.buffer as ArrayBuffer]);
    } catch {
      slot.worker.postMessage({ ...message, rgb: job.rgb.slice() }); // an untransferable buffer: copy
    }
  }

  #onMessage(slot: Slot, message: FromWorkerMessage): void {
    switch (message.type) {
      case 'ready':
        return;
      case 'result':
      case 'failed': {
        const job = slot.job;
        if (!job || job.id !== message.id) return;
        slot.job = null;
        if (message.type === 'result') job.resolve(message.classification);
        else job.reject(new ClassifierPoolError('CLASSIFY_FAILED', `classify() | failed [worker:${slot.index}]: ${message.message}`));
        const next = this.#queue.shift();
        if (next && !this.#closing) this.#dispatch(slot, next);
        return;
      }
      default:
        assertUnreachable(message);
    }
  }

  #onExit(slot: Slot, code: number): void {
    if (this.#closing || this.#slots[slot.index] !== slot) return;
    this.#slots[slot.index] = null;
    const why = slot.crash ? `: ${slot.crash.message}` : '';
    const error = new ClassifierPoolError('WORKER_DIED', `classify() | classifier worker ${slot.index} died (exit code ${code}${why})`, { cause: slot.crash });
    slot.job?.reject(error);
    slot.job = null;
    log.warn({ worker: slot.index, code, error: slot.crash?.message }, 'worker died | replacing it');
    this.#safeEmit('workerdied', slot.index, error);
    this.#replace(slot.index);
  }

  #replace(index: number): void {
    const { worker, ready } = startWorker(this.#file, this.#data, index);
    this.#starting.add(worker);
    ready.then(
      (info) => {
        this.#starting.delete(worker);
        if (this.#closing) return;
        const slot = this.#install(index, worker, info);
        this.#slots[index] = slot;
        log.info({ worker: index }, 'worker restored');
        this.#safeEmit('workerrestored', index);
        const next = this.#queue.shift();
        if (next) this.#dispatch(slot, next);
      },
      (error: unknown) => {
        this.#starting.delete(worker);
        if (this.#closing) return;
        log.error({ worker: index, error: error instanceof Error ? error.message : String(error) }, 'worker replacement failed | slot stays empty');
        if (this.#slots.every((slot) => slot === null) && this.#starting.size === 0) {
          for (const job of this.#queue.splice(0))
            job.reject(new ClassifierPoolError('WORKER_DIED', 'classify() | no classifier worker is alive', { cause: error }));
        }
      },
    );
  }

  /** Emits without letting a throwing listener corrupt the pool's state. */
  #safeEmit<K extends keyof ClassifierPoolEvents>(event: K, ...args: ClassifierPoolEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: ClassifierPoolEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      log.error({ event, error: error instanceof Error ? error.message : String(error) }, 'listener threw');
    }
  }
}
