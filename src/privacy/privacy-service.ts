import type { Ban, BanReason, BanStore } from '../bans/ban-store.js';
import { logger } from '../logging/logger.js';
import { EvidenceError } from '../evidence/errors.js';
import { effectiveDeadline } from '../evidence/retention.js';
import type { EvidenceStore } from '../evidence/store.js';
import type { EvidenceReason, EvidenceRecord } from '../evidence/types.js';
import type { ReportReason } from '../protocol/messages.js';
import type { ReportStore, StoredReport } from '../reports/report-store.js';
import type { PrivacyLog } from './privacy-log.js';
import { KEPT_BAN_EVIDENCE, KEPT_LEGAL_HOLD, type BanHolding, type EraseResult, type EvidenceHolding, type Holdings } from '../protocol/privacy-api.js';

export { KEPT_BAN_EVIDENCE, KEPT_LEGAL_HOLD, type BanHolding, type EraseResult, type EvidenceHolding, type Holdings };
export type { ReportHolding } from '../protocol/privacy-api.js';

const log = logger('privacy');

const KEYED_HASH = /^[0-9a-f]{64}$/;

export interface PrivacyServiceOptions {
  evidence: EvidenceStore;
  reports: ReportStore;
  bans: BanStore;
  log: PrivacyLog;
}

/** Kept in step with ban-store.ts (banMessage): a banned chatter reads the same class here. */
const BAN_REASON_CLASS: Readonly<Record<BanReason, string>> = {
  csam_hash_match: 'a child-safety violation',
  confident_minor: 'a child-safety violation',
  moderator: 'a violation of our Guidelines',
};

/** Coarse like the ban message: a hash-list match is not named as such. */
const EVIDENCE_REASON_LABEL: Readonly<Record<EvidenceReason, string>> = {
  csam_hash_match: 'child safety',
  confident_minor: 'child safety',
  uncertain_minor: 'age check: the person on camera may be under 18',
  nudity: 'nudity',
  user_report: 'taken when a chat partner reported this connection',
};

const REPORT_REASON_LABEL: Readonly<Record<ReportReason, string>> = {
  nudity: 'nudity or sexual content',
  minor: 'appears to be under 18',
  harassment: 'harassment',
  spam: 'spam or advertising',
  hate: 'hate speech',
  violence: 'violence or threats',
  other: 'something else',
};

/**
 * Pure rule: which bans make up the suspension in force. When a ban is in force (BanStore.get), so
 * are the remembered bans that have not ended yet (a second ban of a banned hash merges into one
 * suspension); when none is (expired or lifted), none of the history is.
 */
export function bansInForce(current: Ban | null, history: readonly Ban[], now: number): Ban[] {
  if (!current) return [];
  const others = history.filter((ban) => ban.referenceId !== current.referenceId && ban.expiresAt > now && ban.liftedAt === undefined);
  return [current, ...others];
}

/** Pure rule: why an erasure must keep an evidence item, or null when it may delete it. */
export function keptBecause(record: EvidenceRecord, banEvidenceIds: ReadonlySet<string>, now: number): EvidenceHolding['keptBecause'] {
  if (record.legalHold && record.legalHold.until > now) return KEPT_LEGAL_HOLD;
  if (banEvidenceIds.has(record.id)) return KEPT_BAN_EVIDENCE;
  return null;
}

interface Snapshot {
  holdings: Holdings;
  evidence: EvidenceRecord[];
  reports: StoredReport[];
}

/**
 * Privacy requests (GDPR access and erasure, CCPA know and delete) about one keyed address hash:
 * what Veil holds about it, and deleting what may be deleted. Bans stay (they protect other users
 * and lift themselves); evidence under legal hold or behind a ban in force stays until its own
 * deadline. Every request is recorded in the PrivacyLog, with counts only.
 */
export class PrivacyService {
  readonly #evidence: EvidenceStore;
  readonly #reports: ReportStore;
  readonly #bans: BanStore;
  readonly #log: PrivacyLog;

  constructor(options: PrivacyServiceOptions) {
    this.#evidence = options.evidence;
    this.#reports = options.reports;
    this.#bans = options.bans;
    this.#log = options.log;
  }

  /** What is held about `ipHash` now: bans (current and remembered), evidence, reports. */
  async holdings(ipHash: string, now: number = Date.now()): Promise<Holdings> {
    const { holdings } = await this.#snapshot(ipHash, now);
    await this.#log.append(
      { kind: 'view', ipHash, counts: { bans: holdings.bans.length, evidence: holdings.evidence.length, reports: holdings.reports.length } },
      now,
    );
    return holdings;
  }

  /**
   * Deletes every evidence item of `ipHash` that is neither under legal hold nor the evidence of a
   * ban in force, and every report filed by or about it. Bans and the evidence they rest on stay.
   */
  async erase(ipHash: string, now: number = Date.now()): Promise<EraseResult> {
    const snapshot = await this.#snapshot(ipHash, now);
    const result: EraseResult = { deleted: { evidence: 0, reports: 0 }, kept: { bans: snapshot.holdings.bans.length, evidence: 0 } };
    for (const holding of snapshot.holdings.evidence) {
      if (holding.keptBecause !== null) {
        result.kept.evidence += 1;
        continue;
      }
      try {
        if (await this.#evidence.delete(holding.id, { now })) result.deleted.evidence += 1;
      } catch (error) {
        // A hold placed since the snapshot wins: the item stays.
        if (!(error instanceof EvidenceError && error.code === 'LEGAL_HOLD_ACTIVE')) throw error;
        result.kept.evidence += 1;
      }
    }
    for (const report of snapshot.reports) {
      if (await this.#reports.delete(report.referenceId)) result.deleted.reports += 1;
    }
    const counts = {
      deletedEvidence: result.deleted.evidence,
      deletedReports: result.deleted.reports,
      keptBans: result.kept.bans,
      keptEvidence: result.kept.evidence,
    };
    try {
      await this.#log.append({ kind: 'erase', ipHash, counts }, now);
    } catch (error) {
      // The erasure is done and must be reported to the requester; the missing entry is an operator matter.
      log.error({ ...counts, err: error instanceof Error ? error.message : String(error) }, 'erase() | could not record the request');
    }
    return result;
  }

  async #snapshot(ipHash: string, now: number): Promise<Snapshot> {
    if (typeof ipHash !== 'string' || !KEYED_HASH.test(ipHash)) throw new TypeError('ipHash must be a keyed address hash (64 lowercase hex)');
    const [current, history, evidence, reports] = await Promise.all([
      this.#bans.get(ipHash, now),
      this.#bans.history(ipHash, now),
      this.#evidence.listByIpHash(ipHash, now),
      this.#reports.listByHash(ipHash, now),
    ]);
    const inForce = bansInForce(current, history, now);
    const inForceIds = new Set(inForce.map((ban) => ban.referenceId));
    const banEvidenceIds = new Set(inForce.flatMap((ban) => (ban.evidenceId ? [ban.evidenceId] : [])));
    const bans = new Map<string, BanHolding>();
    for (const ban of [...history, ...(current ? [current] : [])]) {
      bans.set(ban.referenceId, {
        referenceId: ban.referenceId,
        reasonClass: BAN_REASON_CLASS[ban.reason] ?? 'a violation of our Guidelines',
        createdAt: ban.createdAt,
        // the current record wins: it carries the later expiry of merged bans
        expiresAt: ban.expiresAt,
        inForce: inForceIds.has(ban.referenceId),
      });
    }
    return {
      holdings: {
        bans: [...bans.values()].sort((a, b) => a.createdAt - b.createdAt),
        evidence: evidence.map((record) => ({
          id: record.id,
          reason: EVIDENCE_REASON_LABEL[record.reason],
          capturedAt: record.capturedAt,
          deleteAt: effectiveDeadline(record),
          legalHold: record.legalHold !== undefined && record.legalHold.until > now,
          keptBecause: keptBecause(record, banEvidenceIds, now),
        })),
        reports: reports.map((report) => ({
          referenceId: report.referenceId,
          role: report.reporterHash === ipHash ? 'filed' : 'about you',
          reason: REPORT_REASON_LABEL[report.reason] ?? 'something else',
          createdAt: report.createdAt,
          deleteAt: report.deleteAt,
        })),
      },
      evidence,
      reports,
    };
  }
}
