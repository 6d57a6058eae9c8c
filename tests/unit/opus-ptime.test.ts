import { describe, expect, it } from 'vitest';
import { DEFAULT_OPUS_PTIME_MS, isOpusPtime, OPUS_PTIMES_MS } from '../../src/protocol/messages.js';

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
