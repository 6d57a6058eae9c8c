import type { NodeBus } from '../cluster/node-bus.js';
import { logger } from '../logging/logger.js';
import type { Moderator } from '../moderation/moderator.js';
import type { ReportReason } from '../protocol/messages.js';
import type { ReportStore } from '../reports/report-store.js';
import type { Chatter } from './chatter.js';
import type { Pairing } from './pairing.js';
import { RequestError } from './request-error.js';

const log = logger('lobby');

export interface ReportingParts {
  nodeId: string;
  bus: NodeBus;
  chatters: ReadonlyMap<string, Chatter>;
  reports: ReportStore;
  /** Null when moderation is turned off on this node. */
  moderator: Moderator | null;
  pairing: Pairing;
}

/**
 * Report: records it (against the partner, or the last partner within the grace after the chat),
 * ends the pair, and has the reported chatter's node take a frame sample for review, on this node
 * or, over the bus, on the partner's.
 */
export class Reporting {
  readonly #parts: ReportingParts;

  constructor(parts: ReportingParts) {
    this.#parts = parts;
    parts.bus.onEvent('report.sample', (event) => this.#sampleReported(event.chatterId, event.referenceId));
  }

  async report(chatter: Chatter, id: number, reason: ReportReason): Promise<void> {
    const now = Date.now();
    const last = chatter.lastPartner && chatter.lastPartner.until > now ? chatter.lastPartner : undefined;
    const reported = chatter.partner?.side ?? last;
    if (!reported) throw new RequestError('wrong_state', 'there is no one to report: the chat ended too long ago');
    const report = await this.#parts.reports.record(
      { reporterHash: chatter.ipHash, reportedHash: reported.ipHash, reason, mode: chatter.settings?.mode ?? 'text' },
      now,
    );
    if (chatter.state === 'paired') this.#parts.pairing.unpair(chatter, 'disconnected');
    chatter.lastPartner = undefined;
    chatter.connection.reply(id, 'report', { referenceId: report.referenceId });
    log.info({ referenceId: report.referenceId, reason }, 'report recorded');
    if (reported.node === this.#parts.nodeId) this.#sampleReported(reported.id, report.referenceId);
    else void this.#parts.bus.send(reported.node, { type: 'report.sample', chatterId: reported.id, referenceId: report.referenceId });
  }

  /** A chatter of this node was reported: a frame sample carries the report into the evidence queue. */
  #sampleReported(chatterId: string, referenceId: string): void {
    const reported = this.#parts.chatters.get(chatterId);
    const moderator = this.#parts.moderator;
    if (!reported || !moderator) return;
    moderator
      .reported(reported)
      // The bare report need not wait for review too once its sample is queued.
      .then(async (outcome) => {
        if (outcome.status === 'classified' && outcome.evidenceId !== null) await this.#parts.reports.markReviewed(referenceId);
      })
      .catch((error: Error) => log.error({ err: error.message }, 'report sample failed'));
  }
}
