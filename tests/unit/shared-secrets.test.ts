import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load.js';
import { missingSharedSecrets, requireSharedSecrets, type SharedSecret } from '../../src/config/shared-secrets.js';

const EXTERNAL = 'redis://10.0.0.5:6379';
const KEYS = `k1:${'a'.repeat(64)}`;

describe('shared secrets with an external Redis', () => {
  it.each<[string, { redisUrl: string; redisSentinels?: string[]; ipHashSecret: string; evidenceKeys: string }, SharedSecret[]]>([
    ['embedded Redis, nothing configured: generated per node is fine', { redisUrl: '', ipHashSecret: '', evidenceKeys: '' }, []],
    ['embedded Redis, both configured', { redisUrl: '', ipHashSecret: 'x'.repeat(32), evidenceKeys: KEYS }, []],
    ['external Redis, both configured', { redisUrl: EXTERNAL, ipHashSecret: 'x'.repeat(32), evidenceKeys: KEYS }, []],
    ['external Redis, no address-hash secret', { redisUrl: EXTERNAL, ipHashSecret: '', evidenceKeys: KEYS }, ['ipHashSecret']],
    ['external Redis, no evidence keys', { redisUrl: EXTERNAL, ipHashSecret: 'x'.repeat(32), evidenceKeys: '' }, ['evidenceKeys']],
    ['external Redis, neither', { redisUrl: EXTERNAL, ipHashSecret: '', evidenceKeys: '' }, ['ipHashSecret', 'evidenceKeys']],
    ['a unix socket is external too', { redisUrl: '/run/redis/redis.sock', ipHashSecret: '', evidenceKeys: KEYS }, ['ipHashSecret']],
    ['Sentinels are external too', { redisUrl: '', redisSentinels: ['10.0.0.5:26379'], ipHashSecret: '', evidenceKeys: '' }, ['ipHashSecret', 'evidenceKeys']],
  ])('%s', (_name, config, expected) => {
    expect(missingSharedSecrets({ redisSentinels: [], ...config })).toEqual(expected);
  });

  it('refuses with a ConfigError naming each key, its variable and why', () => {
    const refuse = (): void => requireSharedSecrets({ redisUrl: EXTERNAL, redisSentinels: [], ipHashSecret: '', evidenceKeys: '' });
    expect(refuse).toThrow(ConfigError);
    expect(refuse).toThrow(/ipHashSecret \(VEIL_IP_HASH_SECRET\): must be set with an external Redis.*every node must share it/);
    expect(refuse).toThrow(/evidenceKeys \(VEIL_EVIDENCE_KEYS\): must be set.*generated per-node secrets break bans and evidence across nodes/);
    expect(() => requireSharedSecrets({ redisUrl: '', redisSentinels: [], ipHashSecret: '', evidenceKeys: '' })).not.toThrow();
  });
});
