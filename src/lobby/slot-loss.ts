import { logger } from '../logging/logger.js';
import type { Matchmaker } from '../matching/matchmaker.js';
import type { MediaSlot, WorkerPool } from '../media/worker-pool.js';
import type { Chatter } from './chatter.js';
import type { Pairing } from './pairing.js';

const log = logger('lobby');

export interface SlotLossParts {
  chatters: ReadonlyMap<string, Chatter>;
  pool: WorkerPool;
  pairing: Pairing;
  matchmaker: Matchmaker;
}

/**
 * A worker died: its chatters lose their media and their pairs at once, and are told to set media
 * up again as soon as some worker can take them (at once if another is alive, else when the
 * replacement is ready).
 */
export function resetAfterSlotLoss(parts: SlotLossParts, slot: MediaSlot): void {
  const affected = [...parts.chatters.values()].filter((chatter) => chatter.media?.slot === slot);
  const workerReady = parts.pool.aliveCount > 0 ? Promise.resolve() : new Promise<void>((resolve) => parts.pool.once('slotrestored', () => resolve()));
  for (const chatter of affected) {
    const reset = chatter
      .serialize(async () => {
        chatter.media?.close();
        chatter.media = undefined;
        if (chatter.state === 'paired') parts.pairing.unpair(chatter, 'media_failure');
        if (chatter.state === 'waiting') await parts.matchmaker.leave(chatter.id);
        chatter.state = 'idle';
      })
      .then(() => workerReady)
      .then(() => chatter.connection.send({ type: 'media.reset', reason: 'The video server restarted. Reconnecting your camera…' }));
    reset.catch((error: Error) => log.error({ chatter: chatter.id, err: error.message }, 'media reset failed'));
  }
}
