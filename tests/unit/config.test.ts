import { describe, expect, it } from 'vitest';
import { ConfigError, envName, loadConfig } from '../../src/config/load.js';
import { nodeInternalIpOf } from '../../src/config/schema.js';
import { evidenceKeyRing } from '../../src/evidence/keys.js';
import { DEFAULT_POLICY, policyFromConfig } from '../../src/moderation/policy.js';
import { DEFAULT_OPUS_PTIME_MS } from '../../src/protocol/messages.js';

describe('loadConfig', () => {
  it('uses config/defaults.json when the environment is empty', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ httpHost: '127.0.0.1', httpPort: 8080, redisUrl: '', mediasoupWorkers: 0, rtcSameMachineIp: 'auto' });
  });

  it('asks browsers for the Opus frame length a client assumes when a server says none', () => {
    expect(loadConfig({}).opusPtimeMs).toBe(DEFAULT_OPUS_PTIME_MS);
  });

  it.each([
    ['VEIL_HTTP_PORT', '9000', { httpPort: 9000 }],
    ['VEIL_TRUSTED_PROXIES', '10.0.0.1, 10.0.0.2', { trustedProxies: ['10.0.0.1', '10.0.0.2'] }],
    ['VEIL_ALLOW_INSECURE_PUBLIC_BIND', 'true', { allowInsecurePublicBind: true }],
    ['REDIS_URL', 'redis://127.0.0.1:6379', { redisUrl: 'redis://127.0.0.1:6379' }],
    ['FFMPEG_PATH', '/opt/ffmpeg/bin/ffmpeg', { ffmpegPath: '/opt/ffmpeg/bin/ffmpeg' }],
    ['VEIL_MODERATION', 'false', { moderation: false }],
    ['VEIL_CHALLENGE_AGE', '30', { challengeAge: 30 }],
    ['VEIL_MIN_FACE_DESCRIPTOR_NORM', '5.5', { minFaceDescriptorNorm: 5.5 }],
    ['VEIL_NUDITY_ACTION', 'review_and_blur', { nudityAction: 'review_and_blur' }],
    ['VEIL_RTC_SAME_MACHINE_IP', 'off', { rtcSameMachineIp: 'off' }],
    ['VEIL_SIMULCAST', 'false', { simulcast: false }],
    ['VEIL_SIMULCAST', '1', { simulcast: true }],
    ['VEIL_SIMULCAST_PREFER', 'resolution', { simulcastPrefer: 'resolution' }],
    ['VEIL_OPUS_PTIME_MS', '40', { opusPtimeMs: 40 }],
    ['VEIL_OPUS_DTX', 'false', { opusDtx: false }],
    ['VEIL_ALLOWED_ORIGINS', 'https://Chat.Example.com/, http://127.0.0.1:8080', { allowedOrigins: ['https://chat.example.com', 'http://127.0.0.1:8080'] }],
    ['VEIL_ALLOWED_ORIGINS', 'https://chat.example.com:443', { allowedOrigins: ['https://chat.example.com'] }],
    ['VEIL_IP_HASH_SECRET', 'ab'.repeat(16), { ipHashSecret: 'ab'.repeat(16) }],
    ['VEIL_RTC_SAME_MACHINE_IP', '192.168.1.20', { rtcSameMachineIp: '192.168.1.20' }],
  ])('%s=%s overrides the default', (name, value, expected) => {
    expect(loadConfig({ [name]: value })).toMatchObject(expected);
  });

  it.each([
    ['VEIL_HTTP_PORT', 'eighty', /httpPort \(VEIL_HTTP_PORT\)/],
    ['VEIL_RTC_LISTEN_IP', 'not-an-ip', /rtcListenIp \(VEIL_RTC_LISTEN_IP\)/],
    ['VEIL_LOG_LEVEL', 'loud', /logLevel \(VEIL_LOG_LEVEL\)/],
    ['VEIL_SIMULCAST', 'maybe', /simulcast \(VEIL_SIMULCAST\)/],
    ['VEIL_SIMULCAST_PREFER', 'sharp', /simulcastPrefer \(VEIL_SIMULCAST_PREFER\)/],
    ['VEIL_OPUS_PTIME_MS', '30', /opusPtimeMs \(VEIL_OPUS_PTIME_MS\): must be one of 10, 20, 40, 60/],
    ['VEIL_OPUS_DTX', 'sometimes', /opusDtx \(VEIL_OPUS_DTX\)/],
    ['VEIL_ALLOWED_ORIGINS', '127.0.0.1:8080', /allowedOrigins\.0 \(VEIL_ALLOWED_ORIGINS\): "127\.0\.0\.1:8080" is not an origin/],
    ['VEIL_ALLOWED_ORIGINS', 'https://chat.example.com,notaurl', /allowedOrigins\.1 \(VEIL_ALLOWED_ORIGINS\): "notaurl" is not an origin/],
    ['VEIL_ALLOWED_ORIGINS', 'https://chat.example.com/app', /"https:\/\/chat\.example\.com\/app" is not an origin/],
    ['VEIL_ALLOWED_ORIGINS', 'ftp://chat.example.com', /is not an origin/],
    ['VEIL_IP_HASH_SECRET', 'x', /ipHashSecret \(VEIL_IP_HASH_SECRET\): must be at least 32 characters/],
    ['VEIL_TLS_CERT_FILE', '/etc/cert.pem', /tlsKeyFile.*must be set together/],
    ['VEIL_RTC_ANNOUNCED_IP', 'example.com', /rtcAnnouncedIp.*IP address/],
    ['VEIL_SAMPLE_MIN_INTERVAL_MS', '60000', /sampleMaxIntervalMs.*not be below sampleMinIntervalMs/],
    ['VEIL_NUDITY_THRESHOLD', '1.5', /nudityThreshold \(VEIL_NUDITY_THRESHOLD\)/],
    ['VEIL_MIN_FACE_DESCRIPTOR_NORM', '-1', /minFaceDescriptorNorm \(VEIL_MIN_FACE_DESCRIPTOR_NORM\)/],
    ['VEIL_FRAME_SAMPLE_WIDTH', '321', /frameSampleWidth.*even/],
    ['VEIL_NUDITY_ACTION', 'shout', /nudityAction \(VEIL_NUDITY_ACTION\)/],
    ['VEIL_RTC_SAME_MACHINE_IP', 'lan', /rtcSameMachineIp \(VEIL_RTC_SAME_MACHINE_IP\).*auto, off or an IP address/],
    ['VEIL_RTC_SAME_MACHINE_IP', '127.0.0.1', /rtcSameMachineIp.*not loopback/],
    ['VEIL_RTC_SAME_MACHINE_IP', '0.0.0.0', /rtcSameMachineIp.*or a wildcard/],
  ])('a bad %s stops start-up naming the key', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  const S3 = {
    VEIL_EVIDENCE_STORE: 's3',
    VEIL_EVIDENCE_S3_BUCKET: 'veil-evidence',
    VEIL_EVIDENCE_S3_ACCESS_KEY_ID: 'id',
    VEIL_EVIDENCE_S3_SECRET_ACCESS_KEY: 'secret',
  };
  it.each<[string, Record<string, string>, RegExp]>([
    ['an unknown store', { VEIL_EVIDENCE_STORE: 'nfs' }, /evidenceStore \(VEIL_EVIDENCE_STORE\)/],
    ['s3 without a bucket', { ...S3, VEIL_EVIDENCE_S3_BUCKET: '' }, /evidenceS3Bucket.*must be set when evidenceStore is "s3"/],
    ['s3 without an access key id', { ...S3, VEIL_EVIDENCE_S3_ACCESS_KEY_ID: '' }, /evidenceS3AccessKeyId.*must be set/],
    ['s3 without a secret', { ...S3, VEIL_EVIDENCE_S3_SECRET_ACCESS_KEY: '' }, /evidenceS3SecretAccessKey.*must be set/],
    ['a bucket name S3 refuses', { ...S3, VEIL_EVIDENCE_S3_BUCKET: 'Veil_Evidence' }, /evidenceS3Bucket \(VEIL_EVIDENCE_S3_BUCKET\).*bucket name/],
    ['an endpoint that is not a URL', { ...S3, VEIL_EVIDENCE_S3_ENDPOINT: 'minio:9000' }, /evidenceS3Endpoint \(VEIL_EVIDENCE_S3_ENDPOINT\)/],
    ['a prefix starting with /', { ...S3, VEIL_EVIDENCE_S3_PREFIX: '/evidence/' }, /evidenceS3Prefix \(VEIL_EVIDENCE_S3_PREFIX\)/],
  ])('evidence store: %s stops start-up naming the key', (_case, env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['a node id a channel cannot carry', { VEIL_NODE_ID: 'node one' }, /nodeId \(VEIL_NODE_ID\)/],
    ['pipe ports upside down', { VEIL_PIPE_PORT_MIN: '47000', VEIL_PIPE_PORT_MAX: '46000' }, /pipePortMax.*not be below pipePortMin/],
    ["pipe ports over the workers' media ports", { VEIL_PIPE_PORT_MIN: '40100', VEIL_PIPE_PORT_MAX: '41000' }, /pipePortMin.*overlap/],
    ['a gone-after shorter than two heartbeats', { VEIL_NODE_HEARTBEAT_MS: '2000', VEIL_NODE_GONE_AFTER_MS: '3000' }, /nodeGoneAfterMs.*twice nodeHeartbeatMs/],
    [
      'a wildcard media address on a shared Redis without an internal address',
      { VEIL_RTC_LISTEN_IP: '0.0.0.0', VEIL_REDIS_URL: 'redis://10.0.0.5:6379' },
      /nodeInternalIp \(VEIL_NODE_INTERNAL_IP\).*wildcard/,
    ],
    ['a wildcard internal address', { VEIL_NODE_INTERNAL_IP: '0.0.0.0' }, /nodeInternalIp.*not a wildcard/],
    [
      'both a Redis URL and Sentinels',
      { VEIL_REDIS_URL: 'redis://10.0.0.5:6379', VEIL_REDIS_SENTINELS: '10.0.0.6:26379' },
      /redisSentinels.*either redisUrl or redisSentinels/,
    ],
    ['a Sentinel without a port', { VEIL_REDIS_SENTINELS: '10.0.0.6' }, /redisSentinels\.0 \(VEIL_REDIS_SENTINELS\).*host:port/],
  ])('several nodes: %s stops start-up naming the key', (_case, env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('several nodes: a wildcard media address on one node pipes between its workers on loopback', () => {
    const config = loadConfig({ VEIL_RTC_LISTEN_IP: '0.0.0.0' });
    expect(nodeInternalIpOf(config)).toBe('127.0.0.1');
    expect(nodeInternalIpOf(loadConfig({ VEIL_RTC_LISTEN_IP: '10.0.0.11' }))).toBe('10.0.0.11');
    expect(nodeInternalIpOf(loadConfig({ VEIL_RTC_LISTEN_IP: '0.0.0.0', VEIL_NODE_INTERNAL_IP: '10.0.0.11', VEIL_REDIS_URL: 'redis://x' }))).toBe('10.0.0.11');
  });

  it('evidence store: local by default; s3 with a bucket and credentials is accepted', () => {
    expect(loadConfig({})).toMatchObject({ evidenceStore: 'local', evidenceS3Prefix: 'evidence/' });
    expect(loadConfig({ ...S3, VEIL_EVIDENCE_S3_ENDPOINT: 'http://127.0.0.1:9000', VEIL_EVIDENCE_S3_FORCE_PATH_STYLE: 'true' })).toMatchObject({
      evidenceStore: 's3',
      evidenceS3Endpoint: 'http://127.0.0.1:9000',
      evidenceS3ForcePathStyle: true,
    });
  });

  it('the default moderation policy is the one in config/defaults.json', () => {
    expect(policyFromConfig(loadConfig({}))).toEqual(DEFAULT_POLICY);
  });

  it('evidence keys: the current one is named or the last listed; a bad list names the problem', () => {
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    expect(evidenceKeyRing({ evidenceKeys: `old:${a},new:${b}`, evidenceCurrentKey: '', dataDir: '/nonexistent' }).currentKeyId).toBe('new');
    expect(evidenceKeyRing({ evidenceKeys: `old:${a},new:${b}`, evidenceCurrentKey: 'old', dataDir: '/nonexistent' }).currentKeyId).toBe('old');
    expect(() => evidenceKeyRing({ evidenceKeys: 'old:abc', evidenceCurrentKey: '', dataDir: '/nonexistent' })).toThrow(/64 hex characters/);
    expect(() => evidenceKeyRing({ evidenceKeys: `old:${a}`, evidenceCurrentKey: 'gone', dataDir: '/nonexistent' })).toThrow(/gone/);
  });

  it('maps keys to environment names', () => {
    expect(envName('matchInterestFallbackMs')).toBe('VEIL_MATCH_INTEREST_FALLBACK_MS');
  });
});
