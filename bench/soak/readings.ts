/**
 * What the soak counts on the server, read from its /metrics (the workers' own dumps, Node's live
 * handles, Redis DBSIZE, the V8 heap) and from /proc (resident memory of the Node process and of
 * its mediasoup workers).
 */
import { MEDIASOUP_KINDS, type MediasoupCounts } from '../../src/metrics/resource-counts.js';
import { sampleProcess, type ServerProcess } from '../load/server-process.js';
import { byLabel, parsePrometheus, total } from './prometheus.js';

export interface ResourceReading {
  /** Seconds since the soak began. */
  atSeconds: number;
  chatters: number;
  mediasoup: MediasoupCounts;
  /** Live `Timeout`s of the Node process (setTimeout and setInterval not yet cleared). */
  timers: number;
  /** Every live handle and request of the Node process. */
  handles: number;
  redisKeys: number;
  heapUsedBytes: number;
  nodeRssBytes: number;
  workersRssBytes: number;
  /** The longest event-loop delay of the server's Node process since the previous reading, ms. */
  loopDelayMaxMs: number;
}

export async function readResources(server: ServerProcess, startedAt: number): Promise<ResourceReading> {
  if (!server.metricsUrl) throw new Error('the soak needs the server started with metrics');
  const response = await fetch(server.metricsUrl);
  if (!response.ok) throw new Error(`${server.metricsUrl} answered ${response.status}`);
  const series = parsePrometheus(await response.text());
  const objects = byLabel(series, 'veil_mediasoup_objects', 'kind');
  const resources = byLabel(series, 'veil_process_active_resources', 'type');
  const mediasoup = Object.fromEntries(MEDIASOUP_KINDS.map((kind) => [kind, objects[kind] ?? 0])) as MediasoupCounts;
  return {
    atSeconds: (performance.now() - startedAt) / 1000,
    chatters: total(series, 'veil_chatters'),
    mediasoup,
    timers: resources.Timeout ?? 0,
    handles: Object.values(resources).reduce((sum, n) => sum + n, 0),
    redisKeys: series.get('veil_redis_keys') ?? 0,
    heapUsedBytes: series.get('veil_process_nodejs_heap_size_used_bytes') ?? 0,
    loopDelayMaxMs: (series.get('veil_process_nodejs_eventloop_lag_max_seconds') ?? 0) * 1000,
    nodeRssBytes: sampleProcess(server.pid)?.rssBytes ?? 0,
    workersRssBytes: server
      .workerPids()
      .map((pid) => sampleProcess(pid)?.rssBytes ?? 0)
      .reduce((sum, n) => sum + n, 0),
  };
}

/** The kinds whose count differs between two readings (a leak when `after` is the drained server). */
export function changedCounts(before: ResourceReading, after: ResourceReading): string[] {
  const changed: string[] = [];
  for (const kind of MEDIASOUP_KINDS)
    if (after.mediasoup[kind] !== before.mediasoup[kind]) changed.push(`mediasoup ${kind}: ${before.mediasoup[kind]} → ${after.mediasoup[kind]}`);
  if (after.timers !== before.timers) changed.push(`timers: ${before.timers} → ${after.timers}`);
  if (after.redisKeys !== before.redisKeys) changed.push(`Redis keys: ${before.redisKeys} → ${after.redisKeys}`);
  return changed;
}
