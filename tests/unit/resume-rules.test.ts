import { describe, expect, it } from 'vitest';
import type { ChatterState } from '../../src/lobby/chatter-state.js';
import { GAVE_UP_CLOSE_CODE } from '../../src/protocol/messages.js';
import {
  closeKindOf,
  onGraceEnd,
  onResumeAttempt,
  onSocketClose,
  type CloseKind,
  type ResumeTarget,
  type ResumeVerdict,
} from '../../src/lobby/resume-rules.js';

const closeCases: [ChatterState, CloseKind, number, boolean, 'suspend' | 'leave'][] = [
  ['paired', 'dropped', 10_000, false, 'suspend'],
  ['paired', 'left', 10_000, false, 'leave'],
  ['paired', 'closed_by_server', 10_000, false, 'leave'],
  ['paired', 'dropped', 0, false, 'leave'],
  ['paired', 'dropped', 10_000, true, 'leave'],
  ['waiting', 'dropped', 10_000, false, 'leave'],
  ['idle', 'dropped', 10_000, false, 'leave'],
  ['idle', 'left', 10_000, false, 'leave'],
];

describe('closeKindOf', () => {
  it.each<[string, number, boolean, CloseKind]>([
    ['no close frame (network gone)', 1006, false, 'dropped'],
    ["the page's own give-up before it resumes", GAVE_UP_CLOSE_CODE, false, 'dropped'],
    ['tab closed or page left', 1001, false, 'left'],
    ['a close frame without a code', 1005, false, 'left'],
    ['a normal close', 1000, false, 'left'],
    ['another private code', 4001, false, 'left'],
    ['closed by the server, whatever the code', 1006, true, 'closed_by_server'],
    ['closed by the server after the give-up code', GAVE_UP_CLOSE_CODE, true, 'closed_by_server'],
  ])('%s (%i, by server %s) -> %s', (_name, code, byServer, expected) => {
    expect(closeKindOf(code, byServer)).toBe(expected);
  });
});

describe('onSocketClose', () => {
  it.each(closeCases)('%s, socket %s, grace %i ms, draining %s -> %s', (state, close, graceMs, draining, expected) => {
    expect(onSocketClose({ state, close, graceMs, draining })).toBe(expected);
  });
});

const NOW = 1_000_000;
const resume: ResumeVerdict = { action: 'resume' };
const refuse = (reason: Extract<ResumeVerdict, { action: 'refuse' }>['reason']): ResumeVerdict => ({ action: 'refuse', reason });
const attemptCases: [string, ResumeTarget, boolean, ResumeVerdict][] = [
  ['suspended, within the grace', { found: true, suspended: true, suspendedUntil: NOW + 1 }, true, resume],
  ['suspended, grace just ended', { found: true, suspended: true, suspendedUntil: NOW }, true, refuse('expired')],
  ['unknown (wrong, used or forgotten) token', { found: false }, true, refuse('unknown_token')],
  ['old socket still open, paired', { found: true, suspended: false, state: 'paired' }, true, resume],
  ['old socket still open, waiting', { found: true, suspended: false, state: 'waiting' }, true, refuse('not_resumable')],
  ['old socket still open, idle', { found: true, suspended: false, state: 'idle' }, true, refuse('not_resumable')],
  ['asker already did something', { found: true, suspended: true, suspendedUntil: NOW + 1 }, false, refuse('not_fresh')],
  ['asker not fresh, unknown token', { found: false }, false, refuse('not_fresh')],
];

describe('onResumeAttempt', () => {
  it.each(attemptCases)('%s', (_name, target, askerFresh, expected) => {
    expect(onResumeAttempt({ target, askerFresh, now: NOW })).toEqual(expected);
  });
});

describe('onGraceEnd', () => {
  it.each([
    [true, 'leave'],
    [false, 'nothing'],
  ] as const)('still suspended %s -> %s', (suspended, expected) => {
    expect(onGraceEnd(suspended)).toBe(expected);
  });
});
