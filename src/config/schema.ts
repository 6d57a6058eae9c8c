import { z } from 'zod';
import { isLoopback } from '../http/listen.js';
import { NODE_ID_PATTERN } from '../protocol/node-messages.js';
import { isOpusPtime, OPUS_PTIMES_MS } from '../protocol/messages.js';

/** A comma-separated list (from the environment) or an array (from defaults.json) of `item`. */
const listOf = <T extends z.ZodTypeAny>(item: T) =>
  z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : value,
    z.array(item),
  );
const list = listOf(z.string().min(1));

/** `https://chat.example.com` as a browser sends it in `Origin` (host lower-cased, default port and trailing slash dropped). */
function asOrigin(value: string): string | null {
  try {
    const url = new URL(value);
    const bare = url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
    return (url.protocol === 'https:' || url.protocol === 'http:') && bare ? url.origin : null;
  } catch {
    return null;
  }
}
const origin = z.string().transform((value, ctx) => {
  const normal = asOrigin(value);
  if (normal === null) {
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" is not an origin: write it as browsers send it, e.g. https://chat.example.com or http://127.0.0.1:8080 (scheme, host, port if not the default; no path)`,
    });
    return z.NEVER;
  }
  return normal;
});
/** At least 128 bits of key, or empty for "generate one". */
const MIN_SECRET_LENGTH = 32;
const bool = z.preprocess((value) => (value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value), z.boolean());
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
    allowedOrigins: listOf(origin),
    /** HMAC key for client addresses; empty means "generate one and keep it in dataDir". */
    ipHashSecret: z
      .string()
      .refine(
        (value) => value === '' || value.length >= MIN_SECRET_LENGTH,
        `must be at least ${MIN_SECRET_LENGTH} characters (e.g. openssl rand -hex 32), or empty to generate one`,
      ),
    dataDir: z.string().min(1),
    /** External Redis; empty starts an embedded redis-server under dataDir. */
    redisUrl: z.string(),
    redisServerBin: z.string().min(1),
    /** Redis Sentinels ("host:port,..."), which name the primary to use; set instead of redisUrl. */
    redisSentinels: listOf(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'each sentinel is host:port')),
    /** The primary's name in the Sentinels' configuration ("sentinel monitor <name> ..."). */
    redisSentinelName: z.string().min(1),
    /** Password of the Redis primary and replicas behind the Sentinels (redisUrl carries its own). */
    redisPassword: z.string(),
    /** mediasoup workers; 0 means one per CPU core. */
    mediasoupWorkers: int(0, 256),
    rtcListenIp: z.string().ip(),
    /** Browsers send video as three VP8 spatial layers and each receiver gets the one its link carries (docs/simulcast.md). */
    simulcast: bool,
    /** On a link too narrow for both: the partner's full frame rate at a smaller picture, or the larger picture at fewer frames (src/media/frame-rate-guard.ts). */
    simulcastPrefer: z.enum(['framerate', 'resolution']),
    /** Milliseconds of audio per Opus packet browsers send: 40 or 60 cut the SFU's packets for a little more delay (docs/BENCHMARKS.md). */
    opusPtimeMs: z.coerce.number().refine(isOpusPtime, `must be one of ${OPUS_PTIMES_MS.join(', ')}`),
    /** Browsers' Opus sends no packet while the microphone is silent (DTX): fewer packets for the SFU and the links (docs/BENCHMARKS.md). */
    opusDtx: bool,
    /** Address put in ICE candidates when it differs from rtcListenIp (NAT, 0.0.0.0). */
    rtcAnnouncedIp: z.string(),
    /**
     * With media on loopback and nothing announced: a network address of this machine the workers
     * also listen on and announce, so a Firefox on this machine gets video (it ignores loopback
     * candidates). 'auto': the first one, on the local set-up only; 'off': none (src/media/same-machine-ip.ts).
     */
    rtcSameMachineIp: z
      .string()
      .refine((value) => value === 'auto' || value === 'off' || z.string().ip().safeParse(value).success, 'must be auto, off or an IP address'),
    /** Worker i listens for media on UDP and TCP port rtcPortBase + i. */
    rtcPortBase: int(1024, 65000),
    /** This node's id among the nodes sharing the Redis; empty: one generated into dataDir (kept across restarts). */
    nodeId: z.union([z.literal(''), z.string().regex(NODE_ID_PATTERN, 'must be 1 to 64 characters from [A-Za-z0-9_-]')]),
    /** Address other nodes reach this one's media pipes at; empty: rtcListenIp (127.0.0.1 for a wildcard on a single node). */
    nodeInternalIp: z.union([z.literal(''), z.string().ip()]),
    /** UDP ports of the media pipes between nodes (and between this node's workers). */
    pipePortMin: int(1024, 65535),
    pipePortMax: int(1024, 65535),
    /** A node's heartbeat in Redis, and how old it may get before the others count the node as gone. */
    nodeHeartbeatMs: int(100, 60_000),
    nodeGoneAfterMs: int(500, 600_000),
    /** A pair offer or media request to another node fails after this long (the chatter is queued again). */
    nodeRequestTimeoutMs: int(100, 60_000),
    /** Prometheus `/metrics` on a listener of its own; port 0 takes any free port. */
    metrics: bool,
    metricsHost: z.string().min(1),
    metricsPort: int(0, 65535),
    /** SIGTERM drains: chats in progress may go on this long before everyone is sent to another node. */
    drainDeadlineMs: int(0, 3_600_000),
    /** Candidates looked at for a partner on this node after one on another node fits; 0: no preference. */
    matchLocalityWindow: int(0, 1000),
    /** How long a chatter with interests waits for a shared interest before anyone will do. */
    matchInterestFallbackMs: int(0, 600_000),
    matchRetryMs: int(50, 60_000),
    /** Two chatters who just met are not paired again for this long. */
    matchRecentPartnerSeconds: int(0, 86_400),
    wsMaxPayloadBytes: int(1024, 1_048_576),
    wsMessagesPerSecond: int(1, 1000),
    wsMessageBurst: int(1, 10_000),
    heartbeatIntervalMs: int(500, 60_000),
    /** The longest the server stays silent on a socket (it sends `alive`); pages call a socket dead after 3.5 of these. */
    aliveIntervalMs: int(250, 10_000),
    /** A chatter whose socket drops mid-chat is kept this long for its browser to resume it; 0: off. */
    resumeGraceMs: int(0, 300_000),
    reportRetentionDays: int(1, 3650),
    /** Sample and classify live video (frame tap + classifiers). Off: no screenshot is ever taken. */
    moderation: bool,
    /** ffmpeg for the frame tap; empty: ffmpeg-static if installed, else ffmpeg on PATH (FFMPEG_PATH also works). */
    ffmpegPath: z.string(),
    /** Long-lived ffmpeg decoders shared by every stream. */
    frameDecoders: int(1, 16),
    /** Width of a decoded sample in pixels (the height keeps the aspect ratio). */
    frameSampleWidth: int(64, 640).refine((width) => width % 2 === 0, 'must be even'),
    /** Classifier worker threads; 0 means one per CPU core. */
    classifierWorkers: int(0, 64),
    /** Operator list of known-CSAM PDQ hashes (64 hex characters per line); empty: no list. */
    pdqHashListFile: z.string(),
    /** Model folders; empty means the models bundled in node_modules. */
    nudityModelDir: z.string(),
    faceModelDir: z.string(),
    /** Where the models run: auto = onnxruntime-node, else tfjs-node, else tfjs wasm (the first that loads). */
    inferenceBackend: z.enum(['auto', 'onnx', 'tensorflow', 'wasm']),
    /** Converted ONNX models; empty means the model cache that npm run setup fills (~/.cache/veil/onnx-models). */
    onnxModelDir: z.string(),
    /** First sample of a pairing after this long, then one every min..max (uniformly random). */
    sampleFirstMs: int(0, 60_000),
    sampleMinIntervalMs: int(1000, 3_600_000),
    sampleMaxIntervalMs: int(1000, 3_600_000),
    /** Decision policy (src/moderation/policy.ts): PDQ match distance, faces, ages, nudity. */
    hashMatchMaxDistance: int(0, 64),
    minFaceScore: z.coerce.number().min(0).max(1),
    minFaceDescriptorNorm: z.coerce.number().min(0),
    challengeAge: z.coerce.number().min(0).max(100),
    adultAge: z.coerce.number().min(0).max(100),
    confidentMinorSpreadFactor: z.coerce.number().min(0).max(10),
    nudityThreshold: z.coerce.number().min(0).max(1),
    nudityAction: z.enum(['review', 'review_and_blur', 'review_and_end']),
    /** Evidence encryption keys "id:<64 hex>[,id:<64 hex>...]"; empty: one generated into dataDir. */
    evidenceKeys: z.string(),
    /** Which of evidenceKeys encrypts new evidence; empty means the last one listed. */
    evidenceCurrentKey: z.string(),
    evidenceRetentionDays: z.coerce.number().positive().max(3650),
    /** Preservation of known-CSAM match evidence (US 18 U.S.C. 2258A(h): one year). */
    legalHoldDays: z.coerce.number().positive().max(3650),
    /** Where evidence ciphertext lives: 'local' (dataDir/evidence, one node) or 's3' (a bucket every node shares). */
    evidenceStore: z.enum(['local', 's3']),
    /** S3-compatible server, e.g. https://minio.internal:9000; empty: AWS S3 of evidenceS3Region. */
    evidenceS3Endpoint: z.union([
      z.literal(''),
      z
        .string()
        .url()
        .regex(/^https?:/, 'must be an http(s) URL'),
    ]),
    evidenceS3Region: z.string().min(1),
    evidenceS3Bucket: z.union([z.literal(''), z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name')]),
    /** Put before "<id>.bin" in object keys. */
    evidenceS3Prefix: z.string().regex(/^(?!\/)[A-Za-z0-9!_.*'()/-]{0,200}$/, "must be up to 200 of A-Z a-z 0-9 ! _ . * ' ( ) / - and not start with /"),
    evidenceS3AccessKeyId: z.string(),
    evidenceS3SecretAccessKey: z.string(),
    /** Path-style URLs (host/bucket/key), as MinIO and Ceph RGW usually need. */
    evidenceS3ForcePathStyle: bool,
    /** How long an automatic ban (hash match, confident minor) lasts. */
    banDays: z.coerce.number().positive().max(36500),
    /** Moderator console: idle session expiry, absolute session length, login lockout, claim lease. */
    consoleIdleMinutes: int(1, 1440),
    consoleMaxSessionHours: int(1, 168),
    consoleMaxLoginFailures: int(1, 100),
    consoleLockoutMinutes: int(1, 1440),
    consoleClaimLeaseMinutes: int(1, 120),
    /** Evidence behind a moderator's ban is kept this long. */
    banEvidenceDays: z.coerce.number().positive().max(3650),
    /** Earlier bans stay visible to moderators this long after they end. */
    banHistoryDays: z.coerce.number().positive().max(3650),
    auditRetentionDays: z.coerce.number().positive().max(3650),
    privacyLogRetentionDays: z.coerce.number().positive().max(3650),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (Boolean(cfg.tlsCertFile) !== Boolean(cfg.tlsKeyFile)) {
      ctx.addIssue({ code: 'custom', path: ['tlsKeyFile'], message: 'tlsCertFile and tlsKeyFile must be set together' });
    }
    if (cfg.sampleMinIntervalMs > cfg.sampleMaxIntervalMs) {
      ctx.addIssue({ code: 'custom', path: ['sampleMaxIntervalMs'], message: 'must not be below sampleMinIntervalMs' });
    }
    if (cfg.pipePortMin > cfg.pipePortMax) {
      ctx.addIssue({ code: 'custom', path: ['pipePortMax'], message: 'must not be below pipePortMin' });
    }
    if (cfg.pipePortMin <= cfg.rtcPortBase + 255 && cfg.rtcPortBase <= cfg.pipePortMax) {
      ctx.addIssue({ code: 'custom', path: ['pipePortMin'], message: "the pipe ports must not overlap the workers' media ports (rtcPortBase + 0..255)" });
    }
    if (cfg.nodeGoneAfterMs < cfg.nodeHeartbeatMs * 2) {
      ctx.addIssue({ code: 'custom', path: ['nodeGoneAfterMs'], message: 'must be at least twice nodeHeartbeatMs, or a live node would look gone' });
    }
    if (cfg.redisUrl && cfg.redisSentinels.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['redisSentinels'], message: 'set either redisUrl or redisSentinels, not both' });
    }
    if (!cfg.nodeInternalIp && isWildcard(cfg.rtcListenIp) && sharesRedis(cfg)) {
      ctx.addIssue({
        code: 'custom',
        path: ['nodeInternalIp'],
        message: 'must be set when rtcListenIp is a wildcard and nodes share a Redis: other nodes need an address to send media to',
      });
    }
    if (cfg.nodeInternalIp && isWildcard(cfg.nodeInternalIp)) {
      ctx.addIssue({ code: 'custom', path: ['nodeInternalIp'], message: "must be this node's own address, not a wildcard" });
    }
    if (isLoopback(cfg.rtcSameMachineIp) || isWildcard(cfg.rtcSameMachineIp)) {
      ctx.addIssue({ code: 'custom', path: ['rtcSameMachineIp'], message: "must be one of this machine's network addresses, not loopback or a wildcard" });
    }
    if (cfg.rtcAnnouncedIp && !z.string().ip().safeParse(cfg.rtcAnnouncedIp).success) {
      ctx.addIssue({ code: 'custom', path: ['rtcAnnouncedIp'], message: 'must be an IP address' });
    }
    if (cfg.evidenceStore === 's3') {
      for (const key of ['evidenceS3Bucket', 'evidenceS3AccessKeyId', 'evidenceS3SecretAccessKey'] as const) {
        if (!cfg[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'must be set when evidenceStore is "s3"' });
      }
    }
  });

export type Config = z.infer<typeof configSchema>;

/** Whether this node uses a Redis other nodes may share (a URL or Sentinels) rather than its embedded one. */
export function sharesRedis(config: Pick<Config, 'redisUrl' | 'redisSentinels'>): boolean {
  return config.redisUrl !== '' || config.redisSentinels.length > 0;
}

/** Where this node's media pipes listen and other nodes send to (see nodeInternalIp). */
export function nodeInternalIpOf(config: Pick<Config, 'nodeInternalIp' | 'rtcListenIp'>): string {
  if (config.nodeInternalIp) return config.nodeInternalIp;
  return isWildcard(config.rtcListenIp) ? '127.0.0.1' : config.rtcListenIp;
}

function isWildcard(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::';
}
