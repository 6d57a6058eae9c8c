import type { EvidenceReason } from '../../../src/evidence/reasons.js';
import type { Escalation } from '../../../src/protocol/console-api.js';

/** Labels, times and short texts the console shows. Pure: every function is unit-tested. */

export type { EvidenceReason } from '../../../src/evidence/reasons.js';

export type ReasonTone = 'critical' | 'high' | 'medium' | 'low' | 'info';

export interface ReasonInfo {
  readonly label: string;
  /** Colour of the row's priority marker (CSS `data-tone`). */
  readonly tone: ReasonTone;
}

export const REASON_INFO: Readonly<Record<EvidenceReason, ReasonInfo>> = {
  csam_hash_match: { label: 'Known-CSAM match', tone: 'critical' },
  confident_minor: { label: 'Confident minor', tone: 'high' },
  uncertain_minor: { label: 'Uncertain minor', tone: 'medium' },
  nudity: { label: 'Nudity', tone: 'low' },
  user_report: { label: 'User report', tone: 'info' },
};

/** Label and tone of a reason; one the console does not know yet is shown as it came. */
export function reasonInfo(reason: string): ReasonInfo {
  return Object.hasOwn(REASON_INFO, reason) ? REASON_INFO[reason as EvidenceReason] : { label: reason.replaceAll('_', ' '), tone: 'info' };
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** "just now", "5 minutes ago", "in 3 days": coarse, rounded down to the largest whole unit. */
export function relativeTime(at: number, now: number): string {
  const delta = at - now;
  const size = Math.abs(delta);
  if (size < MINUTE) return 'just now';
  let amount: string;
  if (size < HOUR) amount = plural(Math.floor(size / MINUTE), 'minute');
  else if (size < DAY) amount = plural(Math.floor(size / HOUR), 'hour');
  else amount = plural(Math.floor(size / DAY), 'day');
  return delta < 0 ? `${amount} ago` : `in ${amount}`;
}

const pad = (value: number) => String(value).padStart(2, '0');

/** "2026-05-01 14:03", local time. */
export function absoluteTime(at: number): string {
  const date = new Date(at);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** "2026-05-01 14:03:09", local time, for the audit log. */
export function absoluteTimeWithSeconds(at: number): string {
  return `${absoluteTime(at)}:${pad(new Date(at).getSeconds())}`;
}

/** ISO 8601 for `<time datetime>`. */
export function machineTime(at: number): string {
  return new Date(at).toISOString();
}

/** How close a deadline is: drives the deadline's colour. */
export function deadlineUrgency(deadline: number, now: number): 'overdue' | 'soon' | 'later' {
  if (deadline <= now) return 'overdue';
  return deadline - now < DAY ? 'soon' : 'later';
}

/** "a1b2c3d4…e5f6": enough to compare by eye; the full hash goes in the title. */
export function shortHash(hash: string, head = 8, tail = 4): string {
  return hash.length <= head + tail + 1 ? hash : `${hash.slice(0, head)}…${hash.slice(-tail)}`;
}

/** Scores are probabilities or distances: three decimals, whole numbers as they are. */
export function formatScore(score: number): string {
  return Number.isInteger(score) ? String(score) : score.toFixed(3);
}

export interface BanDuration {
  readonly value: string;
  readonly label: string;
  /** null: permanent. */
  readonly days: number | null;
}

export const BAN_DURATIONS: readonly BanDuration[] = [
  { value: '1', label: '1 day', days: 1 },
  { value: '7', label: '7 days', days: 7 },
  { value: '30', label: '30 days', days: 30 },
  { value: '90', label: '90 days', days: 90 },
  { value: 'permanent', label: 'Permanent', days: null },
];

/** The ban form's duration: days, null for permanent, undefined when the value is not offered. */
export function banDays(value: string): number | null | undefined {
  const duration = BAN_DURATIONS.find((d) => d.value === value);
  return duration === undefined ? undefined : duration.days;
}

export const BAN_REASON_MAX = 200;

/**
 * The ban of a history still in force at `now` (the one ending last; a null end is permanent), or
 * null. A lifted ban keeps its end in the history, with `liftedAt` set.
 */
export function banInForce<T extends { expiresAt: number | null; liftedAt?: number | null | undefined }>(bans: readonly T[], now: number): T | null {
  let found: T | null = null;
  for (const ban of bans) {
    const end = ban.expiresAt ?? Infinity;
    if (end <= now || (ban.liftedAt ?? null) !== null) continue;
    if (found === null || end >= (found.expiresAt ?? Infinity)) found = ban;
  }
  return found;
}

/** The trimmed ban reason, or an error sentence. */
export function checkBanReason(text: string): { ok: true; reason: string } | { ok: false; error: string } {
  const reason = text.trim();
  if (reason === '') return { ok: false, error: 'Write the reason for the ban.' };
  if (reason.length > BAN_REASON_MAX) return { ok: false, error: `Keep the reason under ${BAN_REASON_MAX + 1} characters.` };
  return { ok: true, reason };
}

export function banResultText(referenceId: string, expiresAt: number | null): string {
  const until = expiresAt === null ? 'permanently' : `until ${absoluteTime(expiresAt)}`;
  return `Banned ${until} (reference ${referenceId}). The evidence is kept for 90 days.`;
}

export type EscalationState = 'none' | 'pending' | 'confirmed';

export function escalationState(escalation: Escalation | null): EscalationState {
  if (escalation === null) return 'none';
  return escalation.confirmedBy === null ? 'pending' : 'confirmed';
}

/** Text of the escalation badge, or null when the item was never escalated. */
export function escalationBadge(escalation: Escalation | null): string | null {
  if (escalation === null) return null;
  return escalation.confirmedBy === null
    ? `Escalation pending (${escalation.requestedBy})`
    : `Escalated (${escalation.requestedBy}, ${escalation.confirmedBy})`;
}

/** The escalate button's words for this moderator. */
export function escalateLabel(escalation: Escalation | null, me: string): string {
  if (escalation !== null && escalation.confirmedBy === null && escalation.requestedBy !== me) {
    return 'Confirm escalation';
  }
  return 'Escalate';
}

/** Download name of an incident package; the id is reduced to safe characters. */
export function exportFilename(id: string): string {
  return `veil-incident-${id.replace(/[^A-Za-z0-9_-]/g, '_')}.json`;
}

/**
 * When to renew a claim lease: halfway to its expiry, at least 10 s from now, at most 2 minutes,
 * so that a lost renewal still leaves time for another before the lease runs out.
 */
export function claimRenewDelayMs(claimExpiresAt: number, now: number): number {
  return Math.min(2 * MINUTE, Math.max(10_000, Math.floor((claimExpiresAt - now) / 2)));
}

/** "Chrome 126 · Windows 10 · de-DE", leaving out unknown parts. */
export function deviceText(device: { browser: string; os: string; language: string } | null): string {
  if (device === null) return 'not kept (a user report)';
  const parts = [device.browser, device.os, device.language].map((part) => part.trim()).filter((part) => part !== '');
  return parts.length === 0 ? 'unknown' : parts.join(' · ');
}

/** "Showing 50 of 120" / "3 items" / "Queue is empty". */
export function queueCountText(shown: number, total: number): string {
  if (total === 0) return 'The queue is empty.';
  if (shown >= total) return total === 1 ? '1 item' : `${total} items`;
  return `Showing ${shown} of ${total}`;
}

/** The audit log's detail column: strings as they are, anything else as compact JSON. */
export function auditDetailText(detail: unknown): string {
  if (detail === undefined || detail === null) return '';
  if (typeof detail === 'string') return detail;
  try {
    return JSON.stringify(detail);
  } catch {
    return '(unreadable detail)';
  }
}
