import { randomUUID } from 'node:crypto';
import { availableParallelism, networkInterfaces } from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BanStore } from './bans/ban-store.js';
import { AuditLog } from './console/audit-log.js';
import { createConsoleStores } from './console/console-stores.js';
import { nodeInternalIpOf, type Config } from './config/schema.js';
import { requireSharedSecrets } from './config/shared-secrets.js';
import { addressHashSecret } from './edge/secret.js';
import { createHttpApp } from './http/app.js';
import { liveness, readiness } from './http/health.js';
import { consoleRoutes } from './http/console-routes.js';
import { listen } from './http/listen.js';
import { createPrivacyApi } from './http/privacy-api.js';
import { PrivacyLog, privacyLogKey } from './privacy/privacy-log.js';
import { PrivacyService } from './privacy/privacy-service.js';
import { NodeBus } from './cluster/node-bus.js';
import { nodeIdOf } from './cluster/node-id.js';
import { NODE_KEY_PREFIX, NodeRegistry, type NodeState } from './cluster/node-registry.js';
import { NodePipes } from './media/node-pipes.js';
import { Metrics } from './metrics/metrics.js';
import { MetricsServer } from './metrics/metrics-server.js';
import { registerNodeMetrics } from './metrics/node-gauges.js';
import { Lobby } from './lobby/lobby.js';
import { logger } from './logging/logger.js';
import { Matchmaker } from './matching/matchmaker.js';
import { sameMachineMediaIp } from './media/same-machine-ip.js';
import { WorkerPool } from './media/worker-pool.js';
import { evidenceKeyRing } from './evidence/keys.js';
import { openBlobStore } from './evidence/open-blob-store.js';
import { EvidenceStore } from './evidence/store.js';
import { ModerationService, moderationOptions } from './moderation/moderation-service.js';
import { ReportStore } from './reports/report-store.js';
import { RetentionSweeper } from './retention/sweeper.js';
import { SignalingServer } from './signaling/ws-server.js';
import { openRedis, type RedisHandle } from './store/redis.js';

const log = logger('app');
const ONLINE_BROADCAST_MS = 5_000;
const SWEEP_INTERVAL_MS = 60_000;

/** The whole server, composed: Redis, media workers, matchmaker, lobby, HTTP and WebSocket. */
export class App {
  readonly url: string;
  /** This node's id among the nodes sharing the Redis. */
  readonly nodeId: string;
  readonly port: number;
  readonly pool: WorkerPool;
  readonly redis: RedisHandle;
  readonly evidence: EvidenceStore;
  readonly reports: ReportStore;
  readonly bans: BanStore;
  readonly audit: AuditLog;
  /** Null when moderation is turned off in the configuration. */
  readonly moderation: ModerationService | null;
  readonly #server: Server;
  readonly #signaling: SignalingServer;
  readonly #lobby: Lobby;
  readonly #registry: NodeRegistry;
  readonly #nodeState: { value: NodeState };
  readonly #metricsServer: MetricsServer | null;
  /** Where Prometheus scrapes this node; null when metrics are turned off. */
  readonly metricsUrl: string | null;
  readonly #bus: NodeBus;
  readonly #timers: NodeJS.Timeout[];
  #closing: Promise<void> | undefined;

  private constructor(parts: {
    server: Server;
    secure: boolean;
    host: string;
    pool: WorkerPool;
    redis: RedisHandle;
    signaling: SignalingServer;
    lobby: Lobby;
    registry: NodeRegistry;
    nodeState: { value: NodeState };
    metrics: Metrics;
    metricsServer: MetricsServer | null;
    bus: NodeBus;
    reports: ReportStore;
    evidence: EvidenceStore;
    bans: BanStore;
    audit: AuditLog;
    moderation: ModerationService | null;
    sweeper: RetentionSweeper;
  }) {
    this.#server = parts.server;
    this.port = (parts.server.address() as AddressInfo).port;
    const host = parts.host.includes(':') ? `[${parts.host}]` : parts.host;
    this.url = `${parts.secure ? 'https' : 'http'}://${host}:${this.port}`;
    this.pool = parts.pool;
    this.redis = parts.redis;
    this.evidence = parts.evidence;
    this.reports = parts.reports;
    this.bans = parts.bans;
    this.audit = parts.audit;
    this.moderation = parts.moderation;
    this.#signaling = parts.signaling;
    this.#lobby = parts.lobby;
    this.#registry = parts.registry;
    this.#nodeState = parts.nodeState;
    this.#metricsServer = parts.metricsServer;
    this.metricsUrl = parts.metricsServer?.url ?? null;
    this.#bus = parts.bus;
    this.nodeId = parts.registry.nodeId;
    this.#timers = [
      setInterval(() => this.#lobby.broadcast(this.#registry.onlineTotal), ONLINE_BROADCAST_MS),
      setInterval(() => void App.#sweep(parts.sweeper, parts.metrics), SWEEP_INTERVAL_MS),
    ];
  }

  static async create(config: Config): Promise<App> {
    requireSharedSecrets(config);
    const ipHashSecret = addressHashSecret(config.ipHashSecret, config.dataDir);
    const redis = await openRedis(config);
    const nodeId = nodeIdOf(config.nodeId, config.dataDir);
    const boot = randomUUID();
    const nodeState: { value: NodeState } = { value: 'serving' };
    const metrics = new Metrics();
    const cleanups: (() => unknown)[] = [() => redis.close()];
    try {
      const sameMachineIp = sameMachineMediaIp(config, networkInterfaces());
      if (sameMachineIp !== undefined) {
        // The server's own address, not a client's: a Firefox on this machine connects to it (docs/browsers.md).
        log.info({ sameMachineIp, rtcListenIp: config.rtcListenIp }, 'media also listens on a network address of this machine, for Firefox');
      }
      const pool = await WorkerPool.create({
        count: config.mediasoupWorkers || availableParallelism(),
        listenIp: config.rtcListenIp,
        announcedIp: config.rtcAnnouncedIp || undefined,
        sameMachineIp,
        portBase: config.rtcPortBase,
        pipePorts: { min: config.pipePortMin, max: config.pipePortMax },
      });
      cleanups.push(() => pool.close());
      const matchmaker = await Matchmaker.create(redis.redis, {
        interestFallbackMs: config.matchInterestFallbackMs,
        recentPartnerSeconds: config.matchRecentPartnerSeconds,
        nodeId,
        nodeKeyPrefix: NODE_KEY_PREFIX,
        localityWindow: config.matchLocalityWindow,
      });
      const bus = await NodeBus.create(redis.redis, { nodeId, requestTimeoutMs: config.nodeRequestTimeoutMs });
      cleanups.push(() => bus.close());
      const internalIp = nodeInternalIpOf(config);
      const pipes = new NodePipes(bus, { listenIp: internalIp, routerById: (id) => pool.slots.find((slot) => slot.router.id === id)?.router });
      const reports = new ReportStore(redis.redis, { retentionDays: config.reportRetentionDays });
      const evidence = await EvidenceStore.create({
        redis: redis.redis,
        blobs: await openBlobStore(config),
        keyRing: evidenceKeyRing(config),
        retention: { unreviewedDays: config.evidenceRetentionDays, legalHoldDays: config.legalHoldDays },
      });
      const bans = new BanStore(redis.redis, { historyDays: config.banHistoryDays });
      const moderation = config.moderation ? await ModerationService.start(moderationOptions(config), { evidence, bans }) : null;
      if (moderation) cleanups.push(() => moderation.close());
      else log.warn('moderation is turned off: no video is sampled or classified');
      const lobby = new Lobby(
        { matchmaker, pool, reports, bans, moderator: moderation?.moderator ?? null, node: { id: nodeId, bus, pipes }, metrics },
        {
          sending: { simulcast: config.simulcast, opusPtimeMs: config.opusPtimeMs, opusDtx: config.opusDtx },
          simulcastPrefer: config.simulcastPrefer,
          matchRetryMs: config.matchRetryMs,
          interestFallbackMs: config.matchInterestFallbackMs,
          interestKey: ipHashSecret,
          ticketLossMs: config.nodeRequestTimeoutMs + config.matchRetryMs,
          resumeGraceMs: config.resumeGraceMs,
        },
      );
      cleanups.push(() => lobby.close());
      const registry = await NodeRegistry.create(
        redis.redis,
        () => ({
          id: nodeId,
          boot,
          state: nodeState.value,
          announcedIp: config.rtcAnnouncedIp || config.rtcListenIp,
          internalIp,
          chatters: lobby.size,
          workers: pool.aliveCount,
        }),
        { heartbeatMs: config.nodeHeartbeatMs, goneAfterMs: config.nodeGoneAfterMs },
      );
      cleanups.push(() => registry.close());
      registry.on('nodegone', (id) => lobby.nodeGone(id));
      const audit = new AuditLog(redis.redis, { retentionDays: config.auditRetentionDays });
      const privacyLog = new PrivacyLog({ redis: redis.redis, requesterKey: privacyLogKey(ipHashSecret), retentionDays: config.privacyLogRetentionDays });
      const privacyApi = createPrivacyApi({
        service: new PrivacyService({ evidence, reports, bans, log: privacyLog }),
        redis: redis.redis,
        trustedProxies: config.trustedProxies,
        ipHashSecret,
        allowedOrigins: config.allowedOrigins,
      });
      const http = createHttpApp({
        online: () => lobby.online,
        liveness: () => ({
          status: liveness({ workersAlive: pool.aliveCount }),
          node: nodeId,
          workersAlive: pool.aliveCount,
          workers: pool.slots.length,
          inferenceBackend: moderation?.health().classifiers?.backend ?? null,
        }),
        readiness: async () => {
          const redisOk = (await redis.redis.ping().catch(() => 'down')) === 'PONG';
          const moderationHealth = moderation?.health() ?? null;
          const inputs = {
            state: nodeState.value,
            redisOk,
            workersAlive: pool.aliveCount,
            workers: pool.slots.length,
            moderationStatus: moderationHealth?.status ?? null,
          };
          return {
            ...readiness(inputs),
            node: nodeId,
            state: inputs.state,
            redis: redisOk ? 'ok' : 'down',
            workersAlive: inputs.workersAlive,
            workers: inputs.workers,
            chatters: lobby.size,
            pipeTransports: pipes.transportCount,
            moderation: moderationHealth ?? { status: 'off' },
          };
        },
        consoleApi: consoleRoutes({
          stores: createConsoleStores(redis.redis, {
            maxLoginFailures: config.consoleMaxLoginFailures,
            lockoutMinutes: config.consoleLockoutMinutes,
            idleMinutes: config.consoleIdleMinutes,
            maxSessionHours: config.consoleMaxSessionHours,
            claimLeaseMinutes: config.consoleClaimLeaseMinutes,
            ipHashSecret,
          }),
          evidence,
          bans,
          reports,
          audit,
          secure: Boolean(config.tlsCertFile && config.tlsKeyFile),
          trustedProxies: config.trustedProxies,
          ipHashSecret,
          banEvidenceDays: config.banEvidenceDays,
        }),
        privacyApi,
      });
      const { server, secure } = await listen(http, {
        host: config.httpHost,
        port: config.httpPort,
        tlsCertFile: config.tlsCertFile,
        tlsKeyFile: config.tlsKeyFile,
        allowInsecurePublicBind: config.allowInsecurePublicBind,
      });
      cleanups.push(() => server.close());
      const signaling = new SignalingServer(
        server,
        {
          path: '/ws',
          maxPayloadBytes: config.wsMaxPayloadBytes,
          allowedOrigins: config.allowedOrigins,
          trustedProxies: config.trustedProxies,
          ipHashSecret,
          messagesPerSecond: config.wsMessagesPerSecond,
          messageBurst: config.wsMessageBurst,
          heartbeatIntervalMs: config.heartbeatIntervalMs,
          aliveIntervalMs: config.aliveIntervalMs,
          onSignal: (event) => metrics.signaled(event),
        },
        (connection, visitor) => {
          lobby.admit(connection, visitor);
        },
      );
      const sweeper = new RetentionSweeper({ reports, evidence, audit, privacyLog });
      registerNodeMetrics(metrics, { lobby, pool, pipes, redis: redis.redis, reports, evidence, moderation, state: () => nodeState.value });
      const metricsServer = config.metrics ? await MetricsServer.create(metrics, { host: config.metricsHost, port: config.metricsPort }) : null;
      if (metricsServer) cleanups.push(() => metricsServer.close());
      const app = new App({
        server,
        secure,
        host: config.httpHost,
        pool,
        redis,
        signaling,
        lobby,
        registry,
        nodeState,
        metrics,
        metricsServer,
        bus,
        reports,
        evidence,
        bans,
        audit,
        moderation,
        sweeper,
      });
      lobby.broadcast(registry.onlineTotal);
      log.info({ url: app.url, node: nodeId, workers: pool.slots.length, redis: redis.embedded ? 'embedded' : 'external' }, 'Veil is up');
      return app;
    } catch (error) {
      for (const cleanup of cleanups.reverse()) await cleanup();
      throw error;
    }
  }

  static async #sweep(sweeper: RetentionSweeper, metrics: Metrics): Promise<void> {
    for (const [store, count] of Object.entries(await sweeper.sweep())) if (count > 0) metrics.sweeperDeletions.inc({ store }, count);
  }

  /** Serving, or draining (docs/operations.md). */
  get state(): NodeState {
    return this.#nodeState.value;
  }

  /**
   * Takes the node out of service: `/readyz` fails and the registry says "draining" at once, no new
   * chatter is admitted or paired, chats in progress go on for up to `deadlineMs` (Lobby.drain()).
   * Resolves when the node is empty or the deadline has passed; close() is the caller's next step.
   */
  async drain(deadlineMs: number): Promise<void> {
    if (this.#nodeState.value === 'draining') return;
    this.#nodeState.value = 'draining';
    await this.#registry.beat();
    log.info({ node: this.nodeId, chatters: this.#lobby.size, deadlineMs }, 'draining');
    const started = Date.now();
    await this.#lobby.drain(deadlineMs);
    log.info({ node: this.nodeId, ms: Date.now() - started, chattersLeft: this.#lobby.size }, 'drained');
  }

  /** Graceful stop: tell every chatter, close sockets, workers and Redis. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const timer of this.#timers) clearInterval(timer);
      this.#lobby.close();
      await this.#registry.close();
      this.#signaling.close();
      await new Promise<void>((resolve) => this.#server.close(() => resolve()));
      await this.moderation?.close();
      await this.#bus.close();
      await this.#metricsServer?.close();
      this.pool.close();
      await this.redis.close();
    })();
    return this.#closing;
  }
}
