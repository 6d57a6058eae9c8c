import { isIP } from 'node:net';
import type { Redis } from 'ioredis';

import { AUDIT_ACTIONS, type AuditAction } from './audit-actions.js';

export { AUDIT_ACTIONS, type AuditAction };

/** Scalar details only: an audit entry never carries an image, a buffer or a nested document. */
export type AuditDetail = Record<string, string | number | boolean | null>;

export interface AuditEntryInput {
  /** Account name of the moderator (or `unknown` for a failed login with a malformed name). */
  actor: string;
  action: AuditAction;
  /** What the action was about: an evidence id, a keyed address hash, an account name. */
  target?: string;
  detail?: AuditDetail;
}

export interface AuditEntry {
  /** Redis stream id `<ms>-<seq>`; pass it as `before` to read the next page. */
  id: string;
  /** When it happened (ms since the epoch), the time part of the id. */
  at: number;
  actor: string;
  action: AuditAction;
  target: string | null;
  detail: AuditDetail;
}

export interface AuditLogOptions {
  /** Entries older than this are removed by sweep() (config `auditRetentionDays`, default 365). */
  retentionDays: number;
}

const STREAM = 'veil:audit';
const DAY_MS = 86_400_000;
const MAX_READ = 500;
const MAX_TEXT = 500;
export const AUDIT_ENTRY_ID_PATTERN = /^\d{1,15}-\d{1,19}$/;

/**
 * XADD with the caller's clock (`<ms>-*`), never going below the stream's newest entry, so an
 * injected clock works and a clock step backwards cannot make the append fail (the stream's last
 * generated id, which outlives trimmed entries, is the floor). Times stay strings
 * (Lua 5.1 prints 13-digit numbers in exponent notation). KEYS[1] stream; ARGV[1] now, then the
 * field/value pairs. Returns the new id.
 */
const APPEND = `
local at = ARGV[1]
if redis.call('EXISTS', KEYS[1]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then
      local lastMs = string.match(info[i + 1], '^(%d+)-')
      if tonumber(lastMs) > tonumber(at) then at = lastMs end
    end
  end
end
local args = {}
for i = 2, #ARGV do args[#args + 1] = ARGV[i] end
return redis.call('XADD', KEYS[1], at .. '-*', unpack(args))
`;

/**
 * The console's append-only audit log: one Redis stream, newest entries last, ids ordered by time.
 * There is deliberately no way to change or delete one entry; sweep() trims what is older than the
 * retention period. Entries name moderators, actions and targets (evidence ids, keyed address
 * hashes), never a raw address or image; append() refuses anything that parses as an IP address.
 */
export class AuditLog {
  readonly #redis: Redis;
  readonly #retentionMs: number;

  constructor(redis: Redis, options: AuditLogOptions) {
    if (!(options.retentionDays > 0) || !Number.isFinite(options.retentionDays)) {
      throw new TypeError('retentionDays must be a positive number of days');
    }
    this.#redis = redis;
    this.#retentionMs = options.retentionDays * DAY_MS;
  }

  /**
   * Appends one entry (shaped to be passed as console-auth's `audit` as it is). Throws a TypeError
   * for an entry that breaks the rules above.
   */
  async append(entry: AuditEntryInput, now: number = Date.now()): Promise<void> {
    checkEntry(entry);
    if (!Number.isInteger(now) || now < 0) throw new TypeError('now must be a time in ms since the epoch');
    const fields = ['actor', entry.actor, 'action', entry.action, 'target', entry.target ?? '', 'detail', JSON.stringify(entry.detail ?? {})];
    await this.#redis.eval(APPEND, 1, STREAM, String(now), ...fields);
  }

  /** Up to `limit` entries, newest first, older than entry `before` when given. */
  async read(options: { limit: number; before?: string }): Promise<AuditEntry[]> {
    const { limit, before } = options;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_READ) throw new TypeError(`limit must be an integer in 1..${MAX_READ}`);
    if (before !== undefined && !AUDIT_ENTRY_ID_PATTERN.test(before)) throw new TypeError('before must be an audit entry id');
    const raw = await this.#redis.xrevrange(STREAM, before === undefined ? '+' : `(${before}`, '-', 'COUNT', limit);
    return raw.map(([id, fields]) => entryFrom(id, fields));
  }

  /** Removes the entries older than the retention period; returns how many. */
  async sweep(now: number = Date.now()): Promise<number> {
    const minId = Math.max(0, Math.floor(now - this.#retentionMs));
    return Number(await this.#redis.xtrim(STREAM, 'MINID', minId));
  }
}

function checkEntry(entry: AuditEntryInput): void {
  if (!AUDIT_ACTIONS.includes(entry.action)) throw new TypeError('unknown audit action');
  checkText('actor', entry.actor, false);
  if (entry.target !== undefined) checkText('target', entry.target, false);
  for (const [key, value] of Object.entries(entry.detail ?? {})) {
    if (typeof value === 'string') checkText(`detail.${key}`, value, true);
    else if (value !== null && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new TypeError(`audit detail.${key} must be a string, number, boolean or null`);
    }
  }
}

function checkText(name: string, value: unknown, mayBeEmpty: boolean): void {
  if (typeof value !== 'string' || (!mayBeEmpty && value === '') || value.length > MAX_TEXT) {
    throw new TypeError(`audit ${name} must be a string of ${mayBeEmpty ? 0 : 1}..${MAX_TEXT} characters`);
  }
  // The message never repeats the value: it may be exactly what must not reach a log.
  if (isIP(value.trim()) !== 0) throw new TypeError(`audit ${name} must not be an IP address`);
}

function entryFrom(id: string, list: string[]): AuditEntry {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) fields[list[i] as string] = list[i + 1] as string;
  let detail: AuditDetail = {};
  try {
    const parsed: unknown = JSON.parse(fields.detail ?? '{}');
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) detail = parsed as AuditDetail;
  } catch {
    // A malformed detail cannot come from append(); show the entry without it rather than fail the page.
  }
  return {
    id,
    at: Number(id.slice(0, id.indexOf('-'))),
    actor: fields.actor ?? '',
    action: (fields.action ?? '') as AuditAction,
    target: fields.target ? fields.target : null,
    detail,
  };
}
