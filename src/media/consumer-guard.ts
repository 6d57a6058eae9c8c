import type { types } from 'mediasoup';
import { logger } from '../logging/logger.js';
import { guardedLayers, initialGuard, nextTickMs, stepGuard, type GuardInput } from './frame-rate-guard.js';
import type { LayerCounts } from './layer-cap.js';

const log = logger('media');

/**
 * Keeps a partner consumer at the full frame rate on a narrow link: feeds its `layerschange` events
 * and timer ticks to the pure stepGuard(), and moves the consumer's preferred spatial layer when the
 * guard's cap moves. Ends with the consumer.
 */
export function guardFrameRate(consumer: types.Consumer, counts: LayerCounts, now: () => number = Date.now): void {
  let guard = initialGuard(counts);
  let timer: NodeJS.Timeout | undefined;
  const step = (input: GuardInput): void => {
    if (consumer.closed) return;
    const before = guard.cap;
    guard = stepGuard(counts, guard, input, now());
    if (guard.cap !== before) {
      consumer.setPreferredLayers(guardedLayers(counts, guard)).catch((error: unknown) => {
        if (!consumer.closed) log.warn({ consumer: consumer.id, err: String(error) }, 'could not move a consumer to its frame-rate cap');
      });
    }
    clearTimeout(timer);
    const at = nextTickMs(guard);
    timer = at === null ? undefined : setTimeout(() => step({ kind: 'tick' }), Math.max(0, at - now()));
    timer?.unref();
  };
  consumer.on('layerschange', (layers) => step({ kind: 'layers', layers }));
  consumer.observer.once('close', () => clearTimeout(timer));
}
