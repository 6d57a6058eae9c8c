import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_KEY_PREFIX, NodeRegistry, type NodeInfo } from '../../src/cluster/node-registry.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';

const OPTIONS = { heartbeatMs: 100, goneAfterMs: 1000 };
const self = (id: string, boot: string) => (): Omit<NodeInfo, 'heartbeatAt'> => ({
  id,
  boot,
  state: 'serving',
  announcedIp: '127.0.0.1',
  internalIp: '127.0.0.1',
  chatters: 0,
  workers: 1,
});

// Two processes under one node id (two nodes started from one data folder, or one VEIL_NODE_ID
// given twice) would overwrite each other's entry, and chatters on them would never be paired.
describe('NodeRegistry: one id, one running node', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => {
    await redis.close();
  });

  it('refuses to register an id whose entry another running node keeps refreshing', async () => {
    const first = await NodeRegistry.create(redis.redis, self('twin', 'boot-a'), OPTIONS);
    await expect(NodeRegistry.create(redis.redis, self('twin', 'boot-b'), OPTIONS)).rejects.toThrow(
      /node id "twin" is in use by another running node.*VEIL_NODE_ID.*VEIL_DATA_DIR/,
    );
    expect(await redis.redis.hget(NODE_KEY_PREFIX + 'twin', 'boot')).toBe('boot-a');
    await first.close();
  });

  it('takes over the entry a crashed process left behind (it is no longer refreshed)', async () => {
    const key = NODE_KEY_PREFIX + 'crashed';
    await redis.redis.hset(key, { ...self('crashed', 'boot-dead')(), heartbeatAt: String(Date.now()) });
    await redis.redis.pexpire(key, OPTIONS.goneAfterMs);
    const restarted = await NodeRegistry.create(redis.redis, self('crashed', 'boot-new'), OPTIONS);
    expect(await redis.redis.hget(key, 'boot')).toBe('boot-new');
    await restarted.close();
  });

  it('registers a free id, and the same id again once its node has closed', async () => {
    const one = await NodeRegistry.create(redis.redis, self('solo', 'boot-1'), OPTIONS);
    await one.close();
    const two = await NodeRegistry.create(redis.redis, self('solo', 'boot-2'), OPTIONS);
    expect(await redis.redis.hget(NODE_KEY_PREFIX + 'solo', 'boot')).toBe('boot-2');
    await two.close();
  });
});
