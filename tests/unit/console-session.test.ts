import { describe, expect, it } from 'vitest';
import { sessionTimeLeft } from '../../src/console/accounts/session-store.js';
import { readCookie } from '../../src/http/console-auth.js';

const MINUTE = 60_000;
const limits = { idleMs: 30 * MINUTE, maxAgeMs: 12 * 60 * MINUTE };

describe('sessionTimeLeft', () => {
  it.each([
    ['just created', 0, 0, 0, 30 * MINUTE],
    ['used a minute ago', 0, 10 * MINUTE, 11 * MINUTE, 29 * MINUTE],
    ['idle exactly 30 minutes', 0, 10 * MINUTE, 40 * MINUTE, 0],
    ['idle longer', 0, 0, 31 * MINUTE, -MINUTE],
    ['busy, 10 minutes before the absolute end', 0, 710 * MINUTE, 710 * MINUTE, 10 * MINUTE],
    ['busy, past the absolute end', 0, 720 * MINUTE, 721 * MINUTE, -MINUTE],
  ])('%s', (_label, createdAt, lastSeenAt, now, expected) => {
    expect(sessionTimeLeft({ createdAt, lastSeenAt }, now, limits)).toBe(expected);
  });
});

describe('readCookie', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['veil_console=abc', 'abc'],
    ['a=1; veil_console=abc; b=2', 'abc'],
    ['xveil_console=abc', undefined],
    ['veil_console_x=abc', undefined],
    ['veil_console=', ''],
    ['  veil_console = abc ', 'abc'],
  ])('%j -> %j', (header, expected) => {
    expect(readCookie(header, 'veil_console')).toBe(expected);
  });
});
