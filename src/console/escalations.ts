import type { Redis } from 'ioredis';

/** An item one moderator asked to escalate (report to the authorities), and whether a second confirmed. */
export interface Escalation {
  requestedBy: string;
  requestedAt: number;
  note: string;
  confirmedBy: string | null;
  confirmedAt: number | null;
}

export type EscalationErrorCode = 'already_requested' | 'not_requested' | 'already_confirmed' | 'second_moderator_required';

/** Why request() or confirm() refused; `code` is what the API answers with (409). */
export class EscalationError extends Error {
  override readonly name = 'EscalationError';

  constructor(
    readonly code: EscalationErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const key = (evidenceId: string): string => `veil:console:escalation:${evidenceId}`;

/** KEYS[1]; ARGV requestedBy, requestedAt, note, expireAt. 0 when an escalation exists already. */
const REQUEST = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'requestedBy', ARGV[1], 'requestedAt', ARGV[2], 'note', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return 1
`;

/** KEYS[1]; ARGV confirmedBy, confirmedAt, expireAt. 1 confirmed; the error code otherwise. */
const CONFIRM = `
local requestedBy = redis.call('HGET', KEYS[1], 'requestedBy')
if not requestedBy then return 'not_requested' end
if redis.call('HEXISTS', KEYS[1], 'confirmedBy') == 1 then return 'already_confirmed' end
if requestedBy == ARGV[1] then return 'second_moderator_required' end
redis.call('HSET', KEYS[1], 'confirmedBy', ARGV[1], 'confirmedAt', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[3], 'GT')
return 1
`;

/**
 * Escalations of evidence items, two-person: one moderator requests, a different one confirms.
 * One hash per item (`veil:console:escalation:<evidenceId>`) that expires at the latest with the
 * item: callers pass the item's effective deadline, and extend() follows a deadline that grew.
 */
export class EscalationStore {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  /** Records the first moderator's request; EscalationError `already_requested` when one exists. */
  async request(evidenceId: string, input: { by: string; note: string; expireAt: number }, now: number = Date.now()): Promise<Escalation> {
    checkExpiry(input.expireAt, now);
    const created = await this.#redis.eval(REQUEST, 1, key(evidenceId), input.by, String(now), input.note, String(input.expireAt));
    if (Number(created) !== 1) throw new EscalationError('already_requested', `evidence ${evidenceId} is already escalated`);
    return { requestedBy: input.by, requestedAt: now, note: input.note, confirmedBy: null, confirmedAt: null };
  }

  /**
   * Confirms a pending request as `by`, who must not be the requester (EscalationError
   * `second_moderator_required`); also `not_requested` and `already_confirmed`. `expireAt` is the
   * item's effective deadline after the confirmation (its legal hold), never shortening the key's life.
   */
  async confirm(evidenceId: string, input: { by: string; expireAt: number }, now: number = Date.now()): Promise<Escalation> {
    checkExpiry(input.expireAt, now);
    const result = await this.#redis.eval(CONFIRM, 1, key(evidenceId), input.by, String(now), String(input.expireAt));
    if (Number(result) !== 1) {
      const code = String(result) as keyof typeof CONFIRM_MESSAGES;
      throw new EscalationError(code, CONFIRM_MESSAGES[code] ?? `evidence ${evidenceId} cannot be confirmed`);
    }
    const escalation = await this.get(evidenceId);
    if (!escalation) throw new EscalationError('not_requested', CONFIRM_MESSAGES.not_requested);
    return escalation;
  }

  async get(evidenceId: string): Promise<Escalation | null> {
    return escalationFrom(await this.#redis.hgetall(key(evidenceId)));
  }

  /** The escalations among `evidenceIds` (absent: none). */
  async getMany(evidenceIds: readonly string[]): Promise<Map<string, Escalation>> {
    const found = new Map<string, Escalation>();
    if (evidenceIds.length === 0) return found;
    const pipeline = this.#redis.pipeline();
    for (const id of evidenceIds) pipeline.hgetall(key(id));
    const results = (await pipeline.exec()) ?? [];
    evidenceIds.forEach((id, index) => {
      const [error, fields] = results[index] ?? [new Error('missing pipeline reply'), null];
      if (error) throw error;
      const escalation = escalationFrom(fields as Record<string, string>);
      if (escalation) found.set(id, escalation);
    });
    return found;
  }

  /** Keeps an existing escalation until `until` when the item's deadline grew (never shortens). */
  async extend(evidenceId: string, until: number): Promise<void> {
    await this.#redis.call('PEXPIREAT', key(evidenceId), String(until), 'GT');
  }

  /** Forgets the item's escalation (the item is gone). */
  async clear(evidenceId: string): Promise<void> {
    await this.#redis.del(key(evidenceId));
  }
}

const CONFIRM_MESSAGES: Record<Exclude<EscalationErrorCode, 'already_requested'>, string> = {
  not_requested: 'nobody has requested this escalation',
  already_confirmed: 'this escalation is already confirmed',
  second_moderator_required: 'a second, different moderator must confirm the escalation',
};

function checkExpiry(expireAt: number, now: number): void {
  if (!Number.isInteger(expireAt) || expireAt <= now) throw new TypeError('an escalation expires with its item, after now');
}

function escalationFrom(fields: Record<string, string>): Escalation | null {
  if (!fields.requestedBy) return null;
  return {
    requestedBy: fields.requestedBy,
    requestedAt: Number(fields.requestedAt),
    note: fields.note ?? '',
    confirmedBy: fields.confirmedBy || null,
    confirmedAt: fields.confirmedAt ? Number(fields.confirmedAt) : null,
  };
}
