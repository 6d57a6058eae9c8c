/**
 * Test-only: the table of pairing cases that both tests/unit/match-rules.test.ts (against
 * compatible()) and tests/integration/matchmaker.test.ts (against the Lua script in a real
 * redis-server) run, so the two implementations of the rules cannot drift apart.
 */
import type { WaitingTicket } from '../../src/matching/match-rules.js';

export const CASE_INTEREST_FALLBACK_MS = 5000;

export interface RuleCase {
  name: string;
  a: WaitingTicket;
  b: WaitingTicket;
  now: number;
  recentlyPaired: boolean;
  /** compatible(a, b) at `now`: shared interests in a's order, or null. */
  expected: string[] | null;
}

const NOW = 1_000_000;
const FRESH = NOW - 1000;
const FALLEN_BACK = NOW - CASE_INTEREST_FALLBACK_MS;

function ticket(sessionId: string, fields: Partial<WaitingTicket> = {}): WaitingTicket {
  return { sessionId, mode: 'video', interests: [], countries: [], country: null, since: FRESH, ...fields };
}

function rule(name: string, a: Partial<WaitingTicket>, b: Partial<WaitingTicket>, expected: string[] | null, recentlyPaired = false): RuleCase {
  return { name, a: ticket('a', a), b: ticket('b', b), now: NOW, recentlyPaired, expected };
}

export const RULE_CASES: readonly RuleCase[] = [
  rule('two chatters without constraints', {}, {}, []),
  rule('different modes never meet', { mode: 'video' }, { mode: 'text' }, null),
  rule('text mode pairs like video', { mode: 'text' }, { mode: 'text' }, []),
  rule('a insists on an interest b lacks', { interests: ['chess'] }, {}, null),
  rule('a has waited past the fallback', { interests: ['chess'], since: FALLEN_BACK }, {}, []),
  rule('a one millisecond before the fallback', { interests: ['chess'], since: FALLEN_BACK + 1 }, {}, null),
  rule('b insists on an interest a lacks', {}, { interests: ['chess'] }, null),
  rule('b has waited past the fallback', {}, { interests: ['chess'], since: FALLEN_BACK - 1 }, []),
  rule('one shared interest', { interests: ['chess', 'jazz'] }, { interests: ['go', 'jazz'] }, ['jazz']),
  rule("shared interests in a's order", { interests: ['jazz', 'chess', 'go'] }, { interests: ['go', 'jazz'] }, ['jazz', 'go']),
  rule('no shared interest, both insist', { interests: ['chess'] }, { interests: ['go'] }, null),
  rule('no shared interest, only a fell back', { interests: ['chess'], since: FALLEN_BACK }, { interests: ['go'] }, null),
  rule('no shared interest, only b fell back', { interests: ['chess'] }, { interests: ['go'], since: FALLEN_BACK }, null),
  rule('no shared interest, both fell back', { interests: ['chess'], since: FALLEN_BACK }, { interests: ['go'], since: FALLEN_BACK }, []),
  rule('shared interest after the fallback still reported', { interests: ['chess'], since: FALLEN_BACK }, { interests: ['chess'] }, ['chess']),
  rule("a filters for b's country", { countries: ['DE'] }, { country: 'DE' }, []),
  rule("a filters against b's country", { countries: ['DE'] }, { country: 'FR' }, null),
  rule("a filters, b's country unknown", { countries: ['DE', 'FR'] }, { country: null }, null),
  rule("b filters against a's country", { country: 'DE' }, { countries: ['FR'], country: 'FR' }, null),
  rule("b filters, a's country unknown", {}, { countries: ['FR'] }, null),
  rule('both filters accept each other', { countries: ['FR', 'AT'], country: 'DE' }, { countries: ['DE'], country: 'FR' }, []),
  rule('unknown countries without filters', { country: null }, { country: null }, []),
  rule('shared interest but country refused', { interests: ['chess'], countries: ['DE'] }, { interests: ['chess'], country: 'FR' }, null),
  rule('shared interest and countries accepted', { interests: ['chess'], countries: ['FR'], country: 'DE' }, { interests: ['chess'], country: 'FR' }, [
    'chess',
  ]),
  rule('recently paired, otherwise free', {}, {}, null, true),
  rule('recently paired, sharing an interest', { interests: ['chess'] }, { interests: ['chess'] }, null, true),
  rule('recently paired, both fell back', { interests: ['x'], since: FALLEN_BACK }, { since: FALLEN_BACK }, null, true),
];
