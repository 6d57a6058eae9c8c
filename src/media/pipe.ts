import type { types } from 'mediasoup';

/** Pipes in progress or done, per destination router and producer, so each is piped once. */
const piped = new Map<string, Promise<void>>();

/**
 * Makes a producer of one router consumable in another (partners on different workers). The pipe
 * producer lives as long as the source producer; the entry is forgotten when it closes.
 */
export async function ensurePiped(producerId: string, from: types.Router, to: types.Router): Promise<void> {
  const key = `${to.id}:${producerId}`;
  let pending = piped.get(key);
  if (!pending) {
    pending = from.pipeToRouter({ producerId, router: to }).then(({ pipeProducer }) => {
      pipeProducer?.observer.once('close', () => piped.delete(key));
    });
    pending.catch(() => piped.delete(key));
    piped.set(key, pending);
  }
  await pending;
}
