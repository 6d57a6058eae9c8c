import { KEPT_BAN_EVIDENCE, KEPT_LEGAL_HOLD, type EraseResult, type Holdings } from '../../../src/protocol/privacy-api.js';

/** A date and time in UTC, the way the ban message gives it: "2026-11-25 14:03 UTC". */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const plural = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`;

/** What a deletion would keep, and why, for the confirmation. */
export function keptSummary(holdings: Holdings): string[] {
  const lines: string[] = [];
  const bans = holdings.bans.filter((ban) => ban.inForce);
  const ended = holdings.bans.length - bans.length;
  if (bans.length > 0) {
    lines.push(
      `${plural(bans.length, 'ban', 'bans')} in force: bans are not deleted on request, because they protect other people; each one is deleted when it ends.`,
    );
  }
  if (ended > 0) {
    lines.push(`${plural(ended, 'earlier ban', 'earlier bans')}: remembered for moderators until a year after it ended, then deleted.`);
  }
  const held = holdings.evidence.filter((item) => item.keptBecause === KEPT_LEGAL_HOLD).length;
  if (held > 0)
    lines.push(
      `${plural(held, 'evidence item', 'evidence items')} preserved under legal hold for law enforcement (the law requires it), until the date shown.`,
    );
  const banEvidence = holdings.evidence.filter((item) => item.keptBecause === KEPT_BAN_EVIDENCE).length;
  if (banEvidence > 0) lines.push(`${plural(banEvidence, 'evidence item', 'evidence items')} kept as the evidence for a ban in force, until the date shown.`);
  return lines;
}

/** What a deletion would delete, for the confirmation. */
export function deletedSummary(holdings: Holdings): string {
  const evidence = holdings.evidence.filter((item) => item.keptBecause === null).length;
  const reports = holdings.reports.length;
  if (evidence === 0 && reports === 0) return 'Nothing here can be deleted on request right now.';
  return `This deletes ${plural(evidence, 'evidence item', 'evidence items')} and ${plural(reports, 'report', 'reports')} (filed by or about this connection), at once and for good.`;
}

/** The outcome of a deletion, in words. */
export function eraseOutcome(result: EraseResult): string {
  const deleted = `Deleted ${plural(result.deleted.evidence, 'evidence item', 'evidence items')} and ${plural(result.deleted.reports, 'report', 'reports')}.`;
  const kept: string[] = [];
  if (result.kept.bans > 0) kept.push(plural(result.kept.bans, 'ban', 'bans'));
  if (result.kept.evidence > 0) kept.push(`${plural(result.kept.evidence, 'evidence item', 'evidence items')} under legal hold or behind a ban in force`);
  return kept.length === 0 ? `${deleted} Nothing was kept.` : `${deleted} Kept: ${kept.join(' and ')} (the lists above say why, and until when).`;
}
