import { describe, expect, it } from 'vitest';
import { DEFAULT_SAMPLE_SCHEDULE, nextSampleAt, type SampleEvent } from '../../src/moderation/sample-schedule.js';

describe('nextSampleAt', () => {
  it.each<[SampleEvent, number, number]>([
    ['paired', 0.9, 1_001_500],
    ['dropped', 0.9, 1_002_000],
    ['sampled', 0, 1_010_000],
    ['sampled', 0.5, 1_020_000],
    ['sampled', 0.999999, 1_029_999],
  ])('%s with random %f -> %i', (event, random, expected) => {
    expect(nextSampleAt(event, 1_000_000, random, DEFAULT_SAMPLE_SCHEDULE)).toBe(expected);
  });

  it('refuses an interval whose minimum is above its maximum', () => {
    expect(() => nextSampleAt('sampled', 0, 0.5, { ...DEFAULT_SAMPLE_SCHEDULE, minIntervalMs: 5, maxIntervalMs: 1 })).toThrow(TypeError);
  });
});
