import { describe, expect, it } from 'vitest';
import { compatible } from '../../src/matching/match-rules.js';
import { CASE_INTEREST_FALLBACK_MS, RULE_CASES } from '../support/match-rules.cases.js';
import { normalizeTicket, type Ticket } from '../../src/matching/ticket.js';

describe('compatible()', () => {
  it.each(RULE_CASES)('$name', ({ a, b, now, recentlyPaired, expected }) => {
    const context = { now, interestFallbackMs: CASE_INTEREST_FALLBACK_MS, recentlyPaired };
    expect(compatible(a, b, context)).toEqual(expected);
  });

  it.each(RULE_CASES)('is symmetric: $name', ({ a, b, now, recentlyPaired, expected }) => {
    const context = { now, interestFallbackMs: CASE_INTEREST_FALLBACK_MS, recentlyPaired };
    const reverse = compatible(b, a, context);
    expect(reverse === null ? null : [...reverse].sort()).toEqual(expected === null ? null : [...expected].sort());
  });

  it('never pairs a session with itself', () => {
    const a = { sessionId: 'a', mode: 'text' as const, interests: [], countries: [], country: null, since: 0 };
    expect(compatible(a, { ...a }, { now: 0, interestFallbackMs: 0, recentlyPaired: false })).toBeNull();
  });
});

describe('normalizeTicket()', () => {
  const valid: Ticket = { sessionId: 'abc-DEF_123', mode: 'video', interests: [], countries: [], country: null };

  it('normalizes and deduplicates interests and countries', () => {
    expect(normalizeTicket({ ...valid, interests: [' Jazz ', 'jazz', 'Board  Games'], countries: ['DE', 'DE'] })).toEqual({
      ...valid,
      interests: ['jazz', 'board games'],
      countries: ['DE'],
    });
  });

  it.each<[string, Partial<Ticket>, RegExp]>([
    ['an empty session id', { sessionId: '' }, /sessionId/],
    ['a session id with a separator', { sessionId: 'a|b' }, /sessionId/],
    ['an unknown mode', { mode: 'audio' as Ticket['mode'] }, /mode/],
    ['eleven interests', { interests: 'abcdefghijk'.split('') }, /more than 10/],
    ['a blank interest', { interests: ['  '] }, /1 to 32/],
    ['a lowercase country code', { countries: ['de'] }, /alpha-2/],
    ['a bad own country', { country: 'DEU' }, /ticket.country/],
  ])('rejects %s with a TypeError', (_name, fields, message) => {
    expect(() => normalizeTicket({ ...valid, ...fields })).toThrow(TypeError);
    expect(() => normalizeTicket({ ...valid, ...fields })).toThrow(message);
  });
});
