import { describe, expect, it } from 'vitest';
import { isTalking, TALK_CYCLE_MS } from '../../bench/load/synthetic-media.js';

// A bench bot's microphone (bench/load/synthetic-media.ts): sound for `talkFraction` of each cycle,
// from the bot's own random point in it.
describe('isTalking', () => {
  it.each([
    // elapsed ms, offset ms, talk fraction, talking
    [0, 0, 0.5, true],
    [TALK_CYCLE_MS / 2 - 1, 0, 0.5, true],
    [TALK_CYCLE_MS / 2, 0, 0.5, false],
    [TALK_CYCLE_MS - 1, 0, 0.5, false],
    [TALK_CYCLE_MS, 0, 0.5, true],
    [0, TALK_CYCLE_MS / 2, 0.5, false],
    [TALK_CYCLE_MS / 2, TALK_CYCLE_MS / 2, 0.5, true],
    [1234, 999, 0, false],
    [1234, 999, 1, true],
  ])('after %i ms, starting %i ms into the cycle, talking %f of the time: %s', (elapsed, offset, fraction, expected) => {
    expect(isTalking(elapsed, offset, fraction)).toBe(expected);
  });

  it('talks for the given share of a cycle', () => {
    const talking = Array.from({ length: TALK_CYCLE_MS }, (_, ms) => isTalking(ms, 1700, 0.3)).filter(Boolean).length;
    expect(talking).toBe(0.3 * TALK_CYCLE_MS);
  });
});
