import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CloseReason, ErrorCode } from '../protocol/messages.js';

/**
 * Every metric a node exports (docs/operations.md lists them), in one registry of its own.
 * Labels are small closed sets (modes, states, reasons, codes, stage names): never an address, a
 * hash, an interest or message text.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly pairings = new Counter({
    name: 'veil_pairings_total',
    help: 'Pairs made by this node, by where the partner is',
    labelNames: ['locality'] as const,
    registers: [this.registry],
  });
  readonly pairingWait = new Histogram({
    name: 'veil_pairing_wait_seconds',
    help: 'From a chatter starting to search to being paired (this node\u2019s chatters)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly offers = new Counter({
    name: 'veil_pair_offers_total',
    help: 'Matches offered to another node, by outcome (declined or failed: the chatter searches again)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly matchRetries = new Counter({ name: 'veil_match_retries_total', help: 'Matchmaker retries for waiting chatters', registers: [this.registry] });
  readonly wsMessages = new Counter({
    name: 'veil_ws_messages_total',
    help: 'Valid signaling messages received, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly wsErrors = new Counter({
    name: 'veil_ws_errors_total',
    help: 'Signaling errors sent to browsers, by code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly wsClosed = new Counter({
    name: 'veil_ws_closed_total',
    help: 'Sockets the server closed, by reason (flooding, abuse, banned, server_shutdown, replaced)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly samples = new Counter({
    name: 'veil_moderation_samples_total',
    help: 'Moderation samples by outcome (classified: clean, review, ban...; dropped, skipped, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly stageSeconds = new Histogram({
    name: 'veil_moderation_stage_seconds',
    help: 'Time per moderation stage (keyframe, decode, pdq, hashList, nudity, faces)',
    labelNames: ['stage'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly sweeperDeletions = new Counter({
    name: 'veil_sweeper_deletions_total',
    help: 'Records the retention sweeper deleted, by store',
    labelNames: ['store'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'veil_process_' });
  }

  /** A gauge whose value is read at scrape time; `read` may set several label sets. */
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[], read: (gauge: Gauge<L>) => void | Promise<void>): void {
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        await read(this);
      },
    });
  }

  /** Counts an error code or a close reason seen on a signaling connection. */
  signaled(event: { error: ErrorCode } | { closed: CloseReason }): void {
    if ('error' in event) this.wsErrors.inc({ code: event.error });
    else this.wsClosed.inc({ reason: event.closed });
  }
}
