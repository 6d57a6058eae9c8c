import { describe, expect, it } from 'vitest';
import { DEFAULT_OPUS_PTIME_MS, isOpusPtime, OPUS_PTIMES_MS, senderSettingsFrom, type SenderSettings } from '../../src/protocol/messages.js';

// The client takes the server's opusPtimeMs only when it is one of these; anything else (an older
// server that says nothing, a malformed answer) leaves the browser at its default.
describe('isOpusPtime', () => {
  it.each([
    [10, true],
    [20, true],
    [40, true],
    [60, true],
    [30, false],
    [0, false],
    [-20, false],
    [20.5, false],
    ['20', false],
    [null, false],
    [undefined, false],
    [{}, false],
  ])('%j → %s', (value, expected) => {
    expect(isOpusPtime(value)).toBe(expected);
  });

  it('the default is one of the allowed lengths', () => {
    expect(OPUS_PTIMES_MS).toContain(DEFAULT_OPUS_PTIME_MS);
  });
});

describe('senderSettingsFrom: what the client takes from a media.capabilities answer', () => {
  it.each<[string, Record<string, unknown>, SenderSettings]>([
    ['all set', { simulcast: true, opusPtimeMs: 40, opusDtx: true }, { simulcast: true, opusPtimeMs: 40, opusDtx: true }],
    ['all off', { simulcast: false, opusPtimeMs: 20, opusDtx: false }, { simulcast: false, opusPtimeMs: 20, opusDtx: false }],
    ['an older server that says nothing', {}, { simulcast: false, opusPtimeMs: DEFAULT_OPUS_PTIME_MS, opusDtx: false }],
    [
      'strings instead of values',
      { simulcast: 'true', opusPtimeMs: '40', opusDtx: 'true' },
      { simulcast: false, opusPtimeMs: DEFAULT_OPUS_PTIME_MS, opusDtx: false },
    ],
    ['a frame length not allowed', { simulcast: true, opusPtimeMs: 30, opusDtx: 1 }, { simulcast: true, opusPtimeMs: DEFAULT_OPUS_PTIME_MS, opusDtx: false }],
  ])('%s', (_, answer, expected) => {
    expect(senderSettingsFrom(answer)).toEqual(expected);
  });
});
