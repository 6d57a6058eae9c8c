import { logger } from '../logging/logger.js';

const log = logger('retention');

/** A store whose records carry deadlines: `sweep(now)` deletes what is due and returns how many. */
export interface Sweepable {
  sweep(now: number): Promise<number>;
}

/**
 * Runs every store's sweep on one clock (privacy invariant 5: everything persisted is deleted when
 * due). One store failing does not stop the others. Logs counts only, never what was deleted.
 */
export class RetentionSweeper {
  readonly #stores: Readonly<Record<string, Sweepable>>;

  constructor(stores: Readonly<Record<string, Sweepable>>) {
    this.#stores = stores;
  }

  /** Sweeps everything once at `now`; resolves with the count deleted per store (-1: that sweep failed). */
  async sweep(now: number = Date.now()): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const [name, store] of Object.entries(this.#stores)) {
      try {
        counts[name] = await store.sweep(now);
      } catch (error) {
        counts[name] = -1;
        log.warn({ store: name, err: (error as Error).message }, 'sweep failed; the next run tries again');
      }
    }
    if (Object.values(counts).some((count) => count !== 0)) log.info(counts, 'expired records deleted');
    return counts;
  }
}
