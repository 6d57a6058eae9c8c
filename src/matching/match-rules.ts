/**
 * The pairing rules as pure functions. The Lua script (match-script.ts) applies the same rules
 * inside Redis; one table of cases (tests/support/match-rules.cases.ts) is run through both, so they cannot drift.
 */
import type { Ticket } from './ticket.js';

/** A ticket in the queue: `since` is when it was queued (ms epoch). */
export interface WaitingTicket extends Ticket {
  since: number;
}

export interface RuleContext {
  /** The time of the decision, ms epoch. */
  now: number;
  /** How long a ticket with interests insists on a shared one before anyone will do. */
  interestFallbackMs: number;
  /** The two were paired less than recentPartnerSeconds ago. */
  recentlyPaired: boolean;
}

/** True while a ticket with interests still insists on a partner who shares one. */
function needsSharedInterest(ticket: WaitingTicket, now: number, interestFallbackMs: number): boolean {
  return ticket.interests.length > 0 && now - ticket.since < interestFallbackMs;
}

/** Whether a country filter lets a partner of `country` in; an unknown country passes no filter. */
function acceptsCountry(filter: readonly string[], country: string | null): boolean {
  return filter.length === 0 || (country !== null && filter.includes(country));
}

/**
 * Whether `a` and `b` may be paired now: the interests they share (in `a`'s order, possibly
 * empty) when they may, null when they may not. Symmetric apart from that order. Both tickets
 * must be normalized (normalizeTicket).
 */
export function compatible(a: WaitingTicket, b: WaitingTicket, context: RuleContext): string[] | null {
  if (a.sessionId === b.sessionId || a.mode !== b.mode || context.recentlyPaired) return null;
  if (!acceptsCountry(a.countries, b.country) || !acceptsCountry(b.countries, a.country)) return null;
  const theirs = new Set(b.interests);
  const shared = a.interests.filter((tag) => theirs.has(tag));
  if (
    shared.length === 0 &&
    (needsSharedInterest(a, context.now, context.interestFallbackMs) || needsSharedInterest(b, context.now, context.interestFallbackMs))
  ) {
    return null;
  }
  return shared;
}
