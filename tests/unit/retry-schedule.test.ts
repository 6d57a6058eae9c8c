import { describe, expect, it } from 'vitest';
import { firstRetryAt } from '../../src/lobby/waiting-retries.js';

describe('firstRetryAt', () => {
  it.each([
    ['no interests: after the retry interval', 1000, false, 5000, 3000, 4000],
    ['interests: just after the fallback passes', 1000, true, 5000, 3000, 6001],
    ['interests, fallback shorter than the interval', 1000, true, 500, 3000, 1501],
  ])('%s', (_name, now, hasInterests, fallbackMs, retryMs, expected) => {
    expect(firstRetryAt(now, hasInterests, fallbackMs, retryMs)).toBe(expected);
  });
});
