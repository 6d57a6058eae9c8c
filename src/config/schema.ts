import { z } from 'zod';

const list = z.preprocess(
  (value) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value),
  z.array(z.string().min(1)),
);
const bool = z.preprocess(
  (value) => (value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value),
  z.boolean(),
);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Every setting of the server. Defaults live in config/defaults.json; each key can be overridden by
 * an environment variable named VEIL_ + the key in SCREAMING_SNAKE_CASE (httpPort -> VEIL_HTTP_PORT).
 */
export const configSchema = z
  .object({
    /** Address the HTTP(S) server binds to. Non-loopback needs TLS or allowInsecurePublicBind. */
    httpHost: z.string().min(1),
    httpPort: int(0, 65535),
    /** PEM certificate and key; both set turns on HTTPS/WSS. */
    tlsCertFile: z.string(),
    tlsKeyFile: z.string(),
    allowInsecurePublicBind: bool,
    /** Proxy addresses whose X-Forwarded-For header is believed. */
    trustedProxies: list,
    /** Origins allowed to open the WebSocket; empty means "the same host as the page". */
    allowedOrigins: list,
    /** HMAC key for client addresses; empty means "generate one and keep it in dataDir". */
    ipHashSecret: z.string(),
    dataDir: z.string().min(1),
    /** External Redis; empty starts an embedded redis-server under dataDir. */
    redisUrl: z.string(),
    redisServerBin: z.string().min(1),
    /** mediasoup workers; 0 means one per CPU core. */
    mediasoupWorkers: int(0, 256),
    rtcListenIp: z.string().ip(),
    /** Address put in ICE candidates when it differs from rtcListenIp (NAT, 0.0.0.0). */
    rtcAnnouncedIp: z.string(),
    /** Worker i listens for media on UDP and TCP port rtcPortBase + i. */
    rtcPortBase: int(1024, 65000),
    /** How long a chatter with interests waits for a shared interest before anyone will do. */
    matchInterestFallbackMs: int(0, 600_000),
    matchRetryMs: int(50, 60_000),
    /** Two chatters who just met are not paired again for this long. */
    matchRecentPartnerSeconds: int(0, 86_400),
    wsMaxPayloadBytes: int(1024, 1_048_576),
    wsMessagesPerSecond: int(1, 1000),
    wsMessageBurst: int(1, 10_000),
    heartbeatIntervalMs: int(500, 60_000),
    reportRetentionDays: int(1, 3650),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (Boolean(cfg.tlsCertFile) !== Boolean(cfg.tlsKeyFile)) {
      ctx.addIssue({ code: 'custom', path: ['tlsKeyFile'], message: 'tlsCertFile and tlsKeyFile must be set together' });
    }
    if (cfg.rtcAnnouncedIp && !z.string().ip().safeParse(cfg.rtcAnnouncedIp).success) {
      ctx.addIssue({ code: 'custom', path: ['rtcAnnouncedIp'], message: 'must be an IP address' });
    }
  });

export type Config = z.infer<typeof configSchema>;
