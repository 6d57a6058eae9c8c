import { describe, expect, it } from 'vitest';
import { reconnectDelayMs } from '../../client/src/backoff.js';
import { controlsFor } from '../../client/src/controls.js';
import { addInterest } from '../../client/src/interests.js';
import { defaultPrefs, parsePrefs, serializePrefs } from '../../client/src/prefs.js';

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
