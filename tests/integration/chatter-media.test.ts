import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatterMedia, MIN_RECEIVE_BITRATE } from '../../src/media/chatter-media.js';
import { WorkerPool } from '../../src/media/worker-pool.js';

// A chatter's transports on a real mediasoup worker (src/media/chatter-media.ts).
describe('ChatterMedia transports', () => {
  let pool: WorkerPool;

  beforeAll(async () => {
    pool = await WorkerPool.create({ count: 1, listenIp: '127.0.0.1', announcedIp: undefined, portBase: 47000 + Math.floor(Math.random() * 1000) });
  });
  afterAll(() => {
    pool?.close();
  });

  it('the receive transport keeps its bandwidth estimate at or above the lowest simulcast layer, the send transport has no floor', async () => {
    // Without the floor, the onset of a narrow lossy link drove the estimate to 42 kbit/s, where a
    // consumer sends no video at all (docs/simulcast.md). mediasoup refuses a maximum below the
    // minimum, which is how the minimum shows from outside.
    const slot = pool.pick();
    const created: types.Transport[] = [];
    const collect = (transport: types.Transport): void => void created.push(transport);
    slot.router.observer.on('newtransport', collect);
    const media = await ChatterMedia.create(slot, slot.router.rtpCapabilities, 'framerate');
    slot.router.observer.off('newtransport', collect);
    try {
      expect(created).toHaveLength(2);
      const [send, recv] = created as [types.Transport, types.Transport];
      await expect(recv.setMaxOutgoingBitrate(MIN_RECEIVE_BITRATE - 1000)).rejects.toThrow(`current min outgoing bitrate (${MIN_RECEIVE_BITRATE})`);
      await expect(recv.setMaxOutgoingBitrate(MIN_RECEIVE_BITRATE)).resolves.toBeUndefined();
      await expect(send.setMaxOutgoingBitrate(MIN_RECEIVE_BITRATE - 1000)).resolves.toBeUndefined();
    } finally {
      media.close();
    }
  });
});
