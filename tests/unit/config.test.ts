import { describe, expect, it } from 'vitest';
import { ConfigError, envName, loadConfig } from '../../src/config/load.js';

describe('loadConfig', () => {
  it('uses config/defaults.json when the environment is empty', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ httpHost: '127.0.0.1', httpPort: 8080, redisUrl: '', mediasoupWorkers: 0 });
  });

  it.each([
    ['VEIL_HTTP_PORT', '9000', { httpPort: 9000 }],
    ['VEIL_TRUSTED_PROXIES', '10.0.0.1, 10.0.0.2', { trustedProxies: ['10.0.0.1', '10.0.0.2'] }],
    ['VEIL_ALLOW_INSECURE_PUBLIC_BIND', 'true', { allowInsecurePublicBind: true }],
    ['REDIS_URL', 'redis://127.0.0.1:6379', { redisUrl: 'redis://127.0.0.1:6379' }],
  ])('%s=%s overrides the default', (name, value, expected) => {
    expect(loadConfig({ [name]: value })).toMatchObject(expected);
  });

  it.each([
    ['VEIL_HTTP_PORT', 'eighty', /httpPort \(VEIL_HTTP_PORT\)/],
    ['VEIL_RTC_LISTEN_IP', 'not-an-ip', /rtcListenIp \(VEIL_RTC_LISTEN_IP\)/],
    ['VEIL_LOG_LEVEL', 'loud', /logLevel \(VEIL_LOG_LEVEL\)/],
    ['VEIL_TLS_CERT_FILE', '/etc/cert.pem', /tlsKeyFile.*must be set together/],
    ['VEIL_RTC_ANNOUNCED_IP', 'example.com', /rtcAnnouncedIp.*IP address/],
  ])('a bad %s stops start-up naming the key', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('maps keys to environment names', () => {
    expect(envName('matchInterestFallbackMs')).toBe('VEIL_MATCH_INTEREST_FALLBACK_MS');
  });
});
