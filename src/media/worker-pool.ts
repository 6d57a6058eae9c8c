import { EventEmitter } from 'node:events';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { logger } from '../logging/logger.js';
import { mediaCodecs } from './codecs.js';

const log = logger('worker-pool');

export interface WorkerPoolOptions {
  /** Number of workers (one per core is the usual choice). */
  count: number;
  listenIp: string;
  /** Address given to browsers in ICE candidates; defaults to listenIp. */
  announcedIp: string | undefined;
  /**
   * A second address listened on (same port) and announced after listenIp's candidates, so they
   * keep the higher priority: a same-machine Firefox's way in (./same-machine-ip.ts).
   */
  sameMachineIp?: string;
  /** Worker i listens on UDP and TCP port portBase + i through its WebRtcServer. */
  portBase: number;
  /** UDP ports the worker takes for pipe transports (between workers and between nodes). Default: mediasoup's. */
  pipePorts?: { min: number; max: number };
}

/** One mediasoup worker with its WebRtcServer and the router chatters on it share. */
export interface MediaSlot {
  readonly index: number;
  readonly worker: types.Worker;
  readonly webRtcServer: types.WebRtcServer;
  readonly router: types.Router;
  /** Chatters whose transports live here; used for placement. */
  load: number;
}

export type WorkerPoolEvents = {
  /** A worker died; every transport on its router is gone. A replacement is being started. */
  slotlost: [MediaSlot];
  /** The replacement worker for a lost slot is ready. */
  slotrestored: [MediaSlot];
};

/**
 * The mediasoup workers of this process. Places new chatters on the least-loaded live worker and
 * replaces a worker that dies, on the same ports, without taking the process down.
 */
export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  readonly #options: WorkerPoolOptions;
  readonly #slots: (MediaSlot | undefined)[];
  #closed = false;

  private constructor(options: WorkerPoolOptions, slots: MediaSlot[]) {
    super();
    this.#options = options;
    this.#slots = slots;
    for (const slot of slots) this.#watch(slot);
  }

  static async create(options: WorkerPoolOptions): Promise<WorkerPool> {
    if (!Number.isInteger(options.count) || options.count < 1) {
      throw new TypeError(`WorkerPool.create() | count must be a positive integer, got ${options.count}`);
    }
    const slots: MediaSlot[] = [];
    try {
      for (let index = 0; index < options.count; index++) slots.push(await startSlot(index, options));
    } catch (error) {
      for (const slot of slots) slot.worker.close();
      throw error;
    }
    log.info({ workers: options.count, portBase: options.portBase }, 'create() | workers ready');
    return new WorkerPool(options, slots);
  }

  /** The live slot with the fewest chatters. Throws when no worker is alive. */
  pick(): MediaSlot {
    let best: MediaSlot | undefined;
    for (const slot of this.#slots) {
      if (slot && !slot.worker.died && (!best || slot.load < best.load)) best = slot;
    }
    if (!best) throw new Error('no mediasoup worker is alive');
    return best;
  }

  get slots(): readonly MediaSlot[] {
    return this.#slots.filter((slot): slot is MediaSlot => slot !== undefined);
  }

  get aliveCount(): number {
    return this.slots.filter((slot) => !slot.worker.died).length;
  }

  #watch(slot: MediaSlot): void {
    slot.worker.once('died', (error) => {
      log.error({ workerPid: slot.worker.pid, index: slot.index, err: error.message }, 'worker died');
      this.#slots[slot.index] = undefined;
      this.#announce('slotlost', slot);
      if (!this.#closed) void this.#replace(slot.index, 1);
    });
  }

  async #replace(index: number, attempt: number): Promise<void> {
    let slot: MediaSlot;
    try {
      slot = await startSlot(index, this.#options);
    } catch (error) {
      const delayMs = Math.min(30_000, 500 * 2 ** attempt);
      log.error({ index, attempt, delayMs, err: (error as Error).message }, 'worker replacement failed; retrying');
      if (!this.#closed) setTimeout(() => void this.#replace(index, attempt + 1), delayMs).unref();
      return;
    }
    if (this.#closed) {
      slot.worker.close();
      return;
    }
    this.#slots[index] = slot;
    this.#watch(slot);
    log.info({ index, workerPid: slot.worker.pid }, 'worker replaced');
    this.#announce('slotrestored', slot);
  }

  /** Tells listeners; one that throws is logged, and is not mistaken for a failed replacement. */
  #announce(event: 'slotlost' | 'slotrestored', slot: MediaSlot): void {
    try {
      this.emit(event, slot);
    } catch (error) {
      log.error({ index: slot.index, event, err: (error as Error).message }, 'a worker listener failed');
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const slot of this.#slots) slot?.worker.close();
  }
}

async function startSlot(index: number, options: WorkerPoolOptions): Promise<MediaSlot> {
  const worker = await mediasoup.createWorker({ logLevel: 'warn', rtcMinPort: options.pipePorts?.min, rtcMaxPort: options.pipePorts?.max });
  try {
    const port = options.portBase + index;
    const listens = [{ ip: options.listenIp, announcedIp: options.announcedIp, port }];
    if (options.sameMachineIp !== undefined) listens.push({ ip: options.sameMachineIp, announcedIp: undefined, port });
    const webRtcServer = await worker.createWebRtcServer({
      listenInfos: listens.flatMap((listen) => [
        { protocol: 'udp' as const, ...listen },
        { protocol: 'tcp' as const, ...listen },
      ]),
    });
    const router = await worker.createRouter({ mediaCodecs });
    return { index, worker, webRtcServer, router, load: 0 };
  } catch (error) {
    worker.close();
    throw new Error(`cannot start mediasoup worker ${index} on port ${options.portBase + index}: ${(error as Error).message}`);
  }
}
