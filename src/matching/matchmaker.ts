import type { Redis, Result } from 'ioredis';
import { logger } from '../logging/logger.js';
import { CHAT_MODES, type ChatMode } from '../protocol/messages.js';
import { NODE_ID_PATTERN } from '../protocol/node-messages.js';
import { MATCH_SCRIPTS, queueKey } from './match-script.js';
import { normalizeTicket, type Ticket } from './ticket.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    veilMatchEnqueue(...args: string[]): Result<string[] | null, Context>;
    veilMatchRetry(...args: string[]): Result<string[] | null | -1, Context>;
    veilMatchLeave(...args: string[]): Result<number, Context>;
  }
}

const log = logger('matchmaker');

/** A pair made by enqueue() or retry(), seen from the caller. */
export interface Match {
  /** The caller. */
  sessionId: string;
  /** The partner, taken out of the queue; the caller's side must tell it. */
  partnerId: string;
  /** The node the partner is connected to. */
  partnerNode: string;
  /** Interests both gave, in the caller's order; empty when they met after a fallback. */
  sharedInterests: string[];
}

export interface MatchmakerOptions {
  /** How long (ms) a chatter with interests insists on a shared one before anyone will do. Default 5000. */
  interestFallbackMs?: number;
  /** Two chatters just paired are not paired again for this long (s); 0 turns it off. Default 120. */
  recentPartnerSeconds?: number;
  /** Candidates examined per call at most, whatever the queue length. Default 200. */
  maxScan?: number;
  /** Prefix of every key the matchmaker writes. Default "veil:match:". */
  keyPrefix?: string;
  /**
   * Safety-net TTL of a waiting ticket (s), refreshed by every retry(): a ticket whose node died
   * disappears after this long. A waiting session must call retry() more often. Default 300.
   */
  ticketTtlSeconds?: number;
  /** This node's id, stored with its tickets. Default "local". */
  nodeId?: string;
  /** Prefix of the node registry's keys: a ticket of a node without one is dropped. Default "" (no check). */
  nodeKeyPrefix?: string;
  /**
   * Having found a compatible partner on another node, look at up to this many more candidates
   * for one on this node (media stays local). 0 turns the preference off. Default 16.
   */
  localityWindow?: number;
}

type Settings = Required<MatchmakerOptions>;

function integerIn(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new TypeError(`${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function settingsFrom(options: MatchmakerOptions): Settings {
  const keyPrefix = options.keyPrefix ?? 'veil:match:';
  if (keyPrefix.length === 0) throw new TypeError('keyPrefix must not be empty');
  return {
    interestFallbackMs: integerIn('interestFallbackMs', options.interestFallbackMs ?? 5000, 0, 3_600_000),
    recentPartnerSeconds: integerIn('recentPartnerSeconds', options.recentPartnerSeconds ?? 120, 0, 86_400),
    maxScan: integerIn('maxScan', options.maxScan ?? 200, 1, 100_000),
    keyPrefix,
    ticketTtlSeconds: integerIn('ticketTtlSeconds', options.ticketTtlSeconds ?? 300, 1, 86_400),
    nodeId: nodeIdFrom(options.nodeId ?? 'local'),
    nodeKeyPrefix: options.nodeKeyPrefix ?? '',
    localityWindow: integerIn('localityWindow', options.localityWindow ?? 16, 0, 1000),
  };
}

function nodeIdFrom(nodeId: string): string {
  if (!NODE_ID_PATTERN.test(nodeId)) throw new TypeError('nodeId must be 1 to 64 characters from [A-Za-z0-9_-]');
  return nodeId;
}

function checkNow(now: number): string {
  return String(integerIn('now', now, 0, Number.MAX_SAFE_INTEGER));
}

function toMatch(sessionId: string, reply: string[] | null): Match | null {
  if (reply === null) return null;
  const [partnerId, partnerNode, ...sharedInterests] = reply;
  if (partnerId === undefined || partnerNode === undefined) throw new Error('matchmaker script replied with an empty pair');
  return { sessionId, partnerId, partnerNode, sharedInterests };
}

/**
 * Random pairing of waiting chatters through Redis. Every operation is one Lua script, so several
 * Node processes may share the queue: a session is paired at most once, never with itself.
 * Tickets live in Redis only while their owner waits.
 */
export class Matchmaker {
  readonly #redis: Redis;
  readonly #settings: Settings;

  private constructor(redis: Redis, settings: Settings) {
    this.#redis = redis;
    this.#settings = settings;
  }

  /**
   * Loads the scripts into Redis (fails fast if it is unreachable) and defines them on `redis`.
   * The client must not use ioredis' own keyPrefix option: use `options.keyPrefix`.
   */
  static async create(redis: Redis, options: MatchmakerOptions = {}): Promise<Matchmaker> {
    const settings = settingsFrom(options);
    if (redis.options.keyPrefix) throw new TypeError('the Redis client must not set keyPrefix; use options.keyPrefix');
    for (const [name, lua] of Object.entries(MATCH_SCRIPTS)) {
      await redis.script('LOAD', lua);
      redis.defineCommand(name, { numberOfKeys: 0, lua });
    }
    log.debug({ maxScan: settings.maxScan, keyPrefix: settings.keyPrefix }, 'create() | scripts loaded');
    return new Matchmaker(redis, settings);
  }

  /**
   * Pairs the ticket now with the longest-waiting compatible chatter (one sharing an interest
   * first), or queues it and returns null. A session already queued is replaced, its wait
   * restarting. `now` is the time in ms epoch (injectable for tests). Throws TypeError on a bad
   * ticket.
   */
  async enqueue(ticket: Ticket, now: number): Promise<Match | null> {
    const valid = normalizeTicket(ticket);
    const reply = await this.#redis.veilMatchEnqueue(
      ...this.#matchArgs(valid.sessionId, now),
      valid.mode,
      valid.interests.join('\n'),
      valid.countries.join('\n'),
      valid.country ?? '',
    );
    return this.#report('enqueue', toMatch(valid.sessionId, reply));
  }

  /**
   * Tries again for a session already waiting (its interest fallback may have passed, a partner's
   * may have, or its last scan may have missed someone) and refreshes its ticket's TTL.
   * Null means still waiting; "no_ticket" that the session is not queued (it never was, or Redis
   * lost its data: the caller enqueues it again). Costs as much as enqueue(): up to maxScan
   * candidates for a chatter nobody fits.
   */
  async retry(sessionId: string, now: number): Promise<Match | null | 'no_ticket'> {
    const reply = await this.#redis.veilMatchRetry(...this.#matchArgs(sessionId, now));
    if (reply === -1) return 'no_ticket';
    return this.#report('retry', toMatch(sessionId, reply));
  }

  /** Takes the session out of the queue and forgets its ticket. Idempotent. */
  async leave(sessionId: string): Promise<void> {
    await this.#redis.veilMatchLeave(this.#settings.keyPrefix, sessionId);
  }

  /**
   * Chatters waiting in a mode. May briefly count tickets whose node died, until their TTL passes
   * and a scan drops them.
   */
  async waitingCount(mode: ChatMode): Promise<number> {
    if (!CHAT_MODES.includes(mode)) throw new TypeError(`mode must be one of ${CHAT_MODES.join(', ')}`);
    return this.#redis.zcard(queueKey(this.#settings.keyPrefix, mode));
  }

  #matchArgs(sessionId: string, now: number): string[] {
    const s = this.#settings;
    return [
      s.keyPrefix,
      sessionId,
      checkNow(now),
      String(s.interestFallbackMs),
      String(s.recentPartnerSeconds),
      String(s.maxScan),
      String(s.ticketTtlSeconds * 1000),
      String(Math.random()),
      s.nodeId,
      s.nodeKeyPrefix,
      String(s.localityWindow),
    ];
  }

  #report(operation: string, match: Match | null): Match | null {
    if (match) log.debug({ sessionId: match.sessionId, partnerId: match.partnerId, partnerNode: match.partnerNode }, `${operation}() | paired`);
    return match;
  }
}
