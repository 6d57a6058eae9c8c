import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { Histogram } from 'prom-client';
import type { NodeState } from '../cluster/node-registry.js';
import type { EvidenceStore } from '../evidence/store.js';
import type { Lobby } from '../lobby/lobby.js';
import type { RtpTotals } from '../media/chatter-media.js';
import type { NodePipes } from '../media/node-pipes.js';
import type { WorkerPool } from '../media/worker-pool.js';
import type { ModerationService } from '../moderation/moderation-service.js';
import type { SampleOutcome } from '../moderation/moderator.js';
import type { ReportStore } from '../reports/report-store.js';
import type { Metrics } from './metrics.js';
import { activeResourcesByType, readMediasoupCounts } from './resource-counts.js';

export interface NodeParts {
  lobby: Lobby;
  pool: WorkerPool;
  pipes: NodePipes;
  redis: Redis;
  reports: ReportStore;
  evidence: EvidenceStore;
  moderation: ModerationService | null;
  state: () => NodeState;
}

/** The label of a sample's outcome: the decision's action when classified, else the status. */
export function sampleOutcomeLabel(outcome: SampleOutcome): string {
  return outcome.status === 'classified' ? outcome.decision.action : outcome.status;
}

/** Gauges read from the node's parts at scrape time, and the moderator's samples as they happen. */
export function registerNodeMetrics(metrics: Metrics, parts: NodeParts): void {
  metrics.gauge('veil_node_draining', '1 while this node drains', [], (gauge) => gauge.set(parts.state() === 'draining' ? 1 : 0));
  metrics.gauge('veil_chatters', 'Chatters connected to this node, by mode (none before Start) and state', ['mode', 'state'], (gauge) => {
    for (const chatter of parts.lobby.chatters) gauge.inc({ mode: chatter.settings?.mode ?? 'none', state: chatter.state });
  });
  metrics.gauge('veil_mediasoup_workers_alive', 'mediasoup workers alive', [], (gauge) => gauge.set(parts.pool.aliveCount));
  metrics.gauge('veil_pipe_transports', 'PipeTransports to and from other nodes', [], (gauge) => gauge.set(parts.pipes.transportCount));
  metrics.gauge('veil_media_streams', 'Producers and consumers of this node\u2019s chatters', ['kind'], (gauge) => {
    gauge.set({ kind: 'producer' }, 0);
    gauge.set({ kind: 'consumer' }, 0);
    for (const chatter of parts.lobby.chatters) {
      gauge.inc({ kind: 'producer' }, chatter.media?.producers.length ?? 0);
      gauge.inc({ kind: 'consumer' }, chatter.media?.consumerCount ?? 0);
    }
  });
  metrics.gauge('veil_rtp', 'RTP counters summed over the streams live now (they fall when streams end)', ['counter'], async (gauge) => {
    const labels: Record<keyof RtpTotals, string> = {
      packetsIn: 'packets_in',
      bytesIn: 'bytes_in',
      packetsOut: 'packets_out',
      bytesOut: 'bytes_out',
      packetsLost: 'packets_lost',
      nacks: 'nacks',
      plis: 'plis',
    };
    for (const counter of Object.values(labels)) gauge.set({ counter }, 0);
    for (const chatter of [...parts.lobby.chatters]) {
      const totals = await chatter.media?.rtpTotals().catch(() => undefined);
      if (!totals) continue;
      for (const [key, counter] of Object.entries(labels) as [keyof RtpTotals, string][]) gauge.inc({ counter }, totals[key]);
    }
  });
  metrics.gauge('veil_mediasoup_worker_cpu_seconds', 'CPU time (user + system) of each mediasoup worker process', ['worker'], async (gauge) => {
    for (const slot of parts.pool.slots) {
      const usage = await slot.worker.getResourceUsage().catch(() => undefined);
      if (usage) gauge.set({ worker: String(slot.index) }, (usage.ru_utime + usage.ru_stime) / 1000);
    }
  });
  metrics.gauge('veil_mediasoup_worker_max_rss_bytes', 'Peak resident memory of each mediasoup worker process', ['worker'], async (gauge) => {
    for (const slot of parts.pool.slots) {
      const usage = await slot.worker.getResourceUsage().catch(() => undefined);
      if (usage) gauge.set({ worker: String(slot.index) }, usage.ru_maxrss * 1024);
    }
  });
  metrics.gauge(
    'veil_mediasoup_objects',
    'Objects alive in this node\u2019s mediasoup workers, from the workers\u2019 own dumps (a leak grows one)',
    ['kind'],
    async (gauge) => {
      const counts = await readMediasoupCounts(parts.pool.slots).catch(() => undefined);
      if (counts) for (const [kind, value] of Object.entries(counts)) gauge.set({ kind }, value);
    },
  );
  metrics.gauge('veil_process_active_resources', 'Live handles and requests of the Node process by type (Timeout, TCPSocketWrap...)', ['type'], (gauge) => {
    for (const [type, count] of Object.entries(activeResourcesByType())) gauge.set({ type }, count);
  });
  metrics.gauge('veil_redis_keys', 'Keys in Redis (DBSIZE), shared by every node', [], async (gauge) => {
    const keys = await parts.redis.dbsize().catch(() => undefined);
    if (keys !== undefined) gauge.set(keys);
  });
  metrics.gauge('veil_classifier_backend_info', 'Always 1, labelled with the inference runtime the classifier workers run on', ['backend'], (gauge) => {
    const backend = parts.moderation?.health().classifiers?.backend;
    if (backend) gauge.set({ backend }, 1);
  });
  metrics.gauge('veil_classifier_queue_depth', 'Frames waiting for a classifier worker', [], (gauge) => {
    gauge.set(parts.moderation?.health().classifiers?.queued ?? 0);
  });
  metrics.gauge('veil_review_queue_items', 'Items waiting for moderators (shared by all nodes), by level and kind', ['level', 'kind'], async (gauge) => {
    for (const [level, count] of Object.entries(await parts.evidence.countByReason())) gauge.set({ level, kind: 'evidence' }, count);
    gauge.set({ level: 'user_report', kind: 'report' }, await parts.reports.reviewCount());
  });
  const redisRoundTrip = new Histogram({
    name: 'veil_redis_roundtrip_seconds',
    help: 'Redis PING round trip, measured at each scrape',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
    registers: [metrics.registry],
  });
  metrics.gauge('veil_redis_up', '1 when Redis answered the last scrape\u2019s PING', [], async (gauge) => {
    const started = performance.now();
    const ok = (await parts.redis.ping().catch(() => 'down')) === 'PONG';
    if (ok) redisRoundTrip.observe((performance.now() - started) / 1000);
    gauge.set(ok ? 1 : 0);
  });
  parts.moderation?.moderator.on('sample', (_chatterId, outcome) => {
    metrics.samples.inc({ outcome: sampleOutcomeLabel(outcome) });
    if (outcome.status !== 'classified') return;
    metrics.stageSeconds.observe({ stage: 'keyframe' }, outcome.timings.keyframeMs / 1000);
    metrics.stageSeconds.observe({ stage: 'decode' }, outcome.timings.decodeMs / 1000);
    for (const [stage, ms] of Object.entries(outcome.classification.timingsMs)) if (ms !== null) metrics.stageSeconds.observe({ stage }, ms / 1000);
  });
}
