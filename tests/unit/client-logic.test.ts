import { describe, expect, it } from 'vitest';
import { reconnectDelayMs } from '../../client/src/backoff.js';
import { controlsFor } from '../../client/src/controls.js';
import { addInterest } from '../../client/src/interests.js';
import { livenessVerdict, type LivenessVerdict } from '../../client/src/liveness.js';
import { isLoopbackAddress, linkFailureCause, linkFailureNotice } from '../../client/src/link-failure.js';
import { defaultPrefs, parsePrefs, serializePrefs } from '../../client/src/prefs.js';
import { serverNotice, type NoticeEffect } from '../../client/src/server-notice.js';
import { ERROR_TEXT, type ServerMessage } from '../../src/protocol/messages.js';

describe('reconnectDelayMs', () => {
  it.each([
    [0, 0.5, 1000],
    [1, 0.5, 2000],
    [3, 0.5, 8000],
    [4, 0.5, 15000],
    [50, 0.5, 15000],
    [0, 0, 800],
    [0, 0.999999, 1200],
    [10, 0.999999, 15000],
  ])('attempt %i with random %f -> %i ms', (attempt, random, expected) => {
    expect(reconnectDelayMs(attempt, random)).toBe(expected);
  });
});

describe('livenessVerdict: is the chat socket dead, from silence alone', () => {
  // The server promises a frame every 1000 ms; the page checks every 500 ms.
  it.each<[string, number, number, LivenessVerdict]>([
    ['a frame just now', 0, 500, 'alive'],
    ['silent for 3.5 intervals exactly', 3500, 500, 'alive'],
    ['silent for just over 3.5 intervals, check on time', 3501, 500, 'dead'],
    ['silent for 10 s, check on time', 10_000, 510, 'dead'],
    ['silent for 10 s, but this check ran 2 s late (frozen or throttled page)', 10_000, 2000, 'unsure'],
    ['check exactly twice its interval: still on time', 4000, 1000, 'dead'],
    ['check just over twice its interval: late', 4000, 1001, 'unsure'],
    ['a late check with a recent frame', 100, 60_000, 'alive'],
  ])('%s', (_case, sinceLastFrameMs, sinceLastCheckMs, expected) => {
    expect(livenessVerdict({ sinceLastFrameMs, sinceLastCheckMs, checkEveryMs: 500, aliveEveryMs: 1000 })).toBe(expected);
  });
});

describe('preference cookie', () => {
  it.each([
    ['missing', undefined],
    ['not JSON', '{oops'],
    ['wrong shape', JSON.stringify({ interests: 'chess' })],
    ['too many interests', JSON.stringify({ interests: Array.from({ length: 11 }, (_, i) => `t${i}`) })],
  ])('%s gives the defaults', (_name, value) => {
    expect(parsePrefs(value)).toEqual(defaultPrefs());
  });

  it('round-trips the settings, and keeps only the refusal when the visitor opts out', () => {
    const prefs = { ...defaultPrefs(), theme: 'dark' as const, interests: ['chess'], countries: ['DE'], ageConfirmed: true };
    expect(parsePrefs(serializePrefs(prefs))).toEqual(prefs);
    expect(JSON.parse(serializePrefs({ ...prefs, remember: false }))).toEqual({ remember: false });
  });
});

describe('addInterest', () => {
  it.each([
    ['adds a normalized tag', ['jazz'], '  Chess ', ['jazz', 'chess'], undefined],
    ['ignores a duplicate', ['chess'], 'CHESS', ['chess'], undefined],
    ['ignores blanks', [], '   ', [], undefined],
    ['refuses a long tag', [], 'x'.repeat(33), [], /at most 32/],
    ['refuses an eleventh tag', Array.from({ length: 10 }, (_, i) => `t${i}`), 'one more', Array.from({ length: 10 }, (_, i) => `t${i}`), /up to 10/],
  ])('%s', (_name, tags, raw, expected, error) => {
    const result = addInterest(tags, raw);
    expect(result.tags).toEqual(expected);
    if (error) expect(result.error).toMatch(error);
    else expect(result.error).toBeUndefined();
  });
});

describe('controlsFor', () => {
  it.each([
    ['paired video with camera', 'paired', 'video', true, { report: true, chat: true, media: true, next: 'Next' }],
    [
      'partner left: next finds a new stranger, report still possible',
      'partner-left',
      'video',
      true,
      { report: true, chat: false, media: true, next: 'Find a new stranger' },
    ],
    ['waiting text: no report, no chat', 'waiting', 'text', false, { report: false, chat: false, media: false, next: 'Next' }],
  ] as const)('%s', (_name, state, mode, camera, expected) => {
    const controls = controlsFor(state, mode, camera);
    expect(controls.report.enabled).toBe(expected.report);
    expect(controls.chat).toBe(expected.chat);
    expect(controls.media.shown).toBe(expected.media);
    expect(controls.next.label).toBe(expected.next);
  });
});

describe('linkFailureCause: what the page can tell about a failed media connection', () => {
  it.each<[string, string, string[], ReturnType<typeof linkFailureCause>]>([
    ['Firefox, every server candidate on loopback', 'Firefox120', ['127.0.0.1', '127.0.0.1'], 'firefox_loopback'],
    ['Firefox, IPv6 loopback', 'Firefox60', ['::1'], 'firefox_loopback'],
    ['Firefox with a network address besides loopback: not that', 'Firefox120', ['127.0.0.1', '192.168.1.20'], 'unknown'],
    ['Firefox, no candidates at all', 'Firefox120', [], 'unknown'],
    ['Chromium connects to loopback: not that', 'Chrome111', ['127.0.0.1'], 'unknown'],
    ['Safari on a public address', 'Safari12', ['203.0.113.7'], 'unknown'],
  ])('%s', (_case, handler, addresses, expected) => {
    expect(linkFailureCause(handler, addresses)).toBe(expected);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['1.127.0.0', false],
    ['192.168.1.20', false],
    ['127.0.0.1.example', false],
  ])('%s is loopback: %s', (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });

  it('the Firefox notice says why and what to do, in the media panel; anything else stays a status line', () => {
    const notice = linkFailureNotice('firefox_loopback');
    expect(notice.place).toBe('panel');
    for (const part of ['Firefox', '127.0.0.1', 'Text chat still works', 'Chromium or Chrome', 'VEIL_RTC_SAME_MACHINE_IP', 'README'])
      expect(notice.text).toContain(part);
    expect(linkFailureNotice('unknown')).toEqual({ place: 'status', text: 'The video connection is having trouble…' });
  });
});

describe('serverNotice: what the page does with a closing or error push', () => {
  type Notice = Extract<ServerMessage, { type: 'closing' | 'error' }>;
  const banned: Notice = { type: 'closing', reason: 'banned', message: 'You are banned.' };
  const flooding: Notice = { type: 'closing', reason: 'flooding', message: 'Too many messages.' };
  const draining: Notice = { type: 'closing', reason: 'server_shutdown', message: 'Moving you to another server.' };
  const bannedError: Notice = { type: 'error', error: { code: 'banned', message: 'banned' } };
  const rateLimited: Notice = { type: 'error', error: { code: 'rate_limited', message: 'slow down' } };
  const error = (text: string) => ({ as: 'error' as const, text });
  const status = (text: string) => ({ as: 'status' as const, text });
  it.each<[string, Notice, boolean, boolean, NoticeEffect]>([
    ['closed for good, in a chat', flooding, true, false, { halt: true, closedMessage: flooding.message, show: error(flooding.message) }],
    ['closed for good, on the landing page', flooding, true, true, { halt: true, closedMessage: flooding.message, show: null }],
    ['banned, on the landing page: still shown', banned, true, true, { halt: true, closedMessage: banned.message, show: error(banned.message) }],
    ['closing before a reconnect (drain), in a chat', draining, false, false, { halt: false, closedMessage: null, show: status(draining.message) }],
    ['closing before a reconnect, on the landing page', draining, false, true, { halt: false, closedMessage: null, show: null }],
    ['banned error, in a chat', bannedError, false, false, { halt: true, closedMessage: null, show: error(ERROR_TEXT.banned) }],
    ['banned error, on the landing page', bannedError, false, true, { halt: true, closedMessage: null, show: null }],
    [
      'another error, in a chat: its text',
      rateLimited,
      false,
      false,
      { halt: false, closedMessage: null, show: status(ERROR_TEXT.rate_limited ?? 'slow down') },
    ],
    ['another error, on the landing page', rateLimited, false, true, { halt: false, closedMessage: null, show: null }],
  ])('%s', (_, message, closedForGood, onLanding, expected) => {
    expect(serverNotice(message, { closedForGood, onLanding })).toEqual(expected);
  });
});
