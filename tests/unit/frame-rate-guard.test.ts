import { describe, expect, it } from 'vitest';
import {
  BASE_HOLD_MS,
  guardedLayers,
  initialGuard,
  MAX_HOLD_MS,
  nextTickMs,
  SETTLE_MS,
  stepGuard,
  type FrameRateGuard,
  type GuardInput,
} from '../../src/media/frame-rate-guard.js';
import { layerCounts } from '../../src/media/layer-cap.js';

const L3T3 = layerCounts('L3T3');

/** "S1T0": that layers change; "none": the consumer sends nothing; "tick": the guard's timer. */
type Step = [atMs: number, what: string];

function input(what: string): GuardInput {
  if (what === 'tick') return { kind: 'tick' };
  if (what === 'none') return { kind: 'layers', layers: undefined };
  const match = /^S(\d)T(\d)$/.exec(what);
  if (!match) throw new Error(`bad step ${what}`);
  return { kind: 'layers', layers: { spatialLayer: Number(match[1]), temporalLayer: Number(match[2]) } };
}

/** The caps after each step. */
function run(steps: readonly Step[], counts = L3T3): { caps: number[]; guard: FrameRateGuard } {
  let guard = initialGuard(counts);
  const caps: number[] = [];
  for (const [at, what] of steps) {
    guard = stepGuard(counts, guard, input(what), at);
    caps.push(guard.cap);
  }
  return { caps, guard };
}

describe('stepGuard', () => {
  it.each<[string, string, Step[], number[]]>([
    [
      'the top layer at the full frame rate: never capped',
      'L3T3',
      [
        [0, 'S2T2'],
        [5000, 'tick'],
        [60_000, 'S2T2'],
      ],
      [2, 2, 2],
    ],
    [
      'a ramp-up passing through fewer frames for less than SETTLE_MS: not capped',
      'L3T3',
      [
        [0, 'S1T0'],
        [500, 'S2T0'],
        [1900, 'S2T2'],
        [2100, 'tick'],
      ],
      [2, 2, 2, 2],
    ],
    [
      '640 px at 5 frames/s for SETTLE_MS: capped to 320 px',
      'L3T3',
      [
        [0, 'S1T0'],
        [SETTLE_MS, 'tick'],
      ],
      [2, 0],
    ],
    [
      '1280 px at 10 frames/s for SETTLE_MS: capped to 640 px',
      'L3T3',
      [
        [0, 'S2T1'],
        [SETTLE_MS, 'tick'],
      ],
      [2, 1],
    ],
    [
      'the lowest layer at fewer frames: nothing lower to go to',
      'L3T3',
      [
        [0, 'S0T0'],
        [SETTLE_MS, 'tick'],
        [30_000, 'tick'],
      ],
      [2, 2, 2],
    ],
    [
      'the lowest temporal layer of a stream with one: not reduced',
      'L3T1',
      [
        [0, 'S1T0'],
        [SETTLE_MS, 'tick'],
      ],
      [2, 2],
    ],
    [
      'sending nothing: nothing to judge',
      'L3T3',
      [
        [0, 'none'],
        [SETTLE_MS, 'tick'],
      ],
      [2, 2],
    ],
    [
      'a reduced layer, then the full frame rate before SETTLE_MS: not capped',
      'L3T3',
      [
        [0, 'S2T0'],
        [1000, 'S2T2'],
        [SETTLE_MS, 'tick'],
      ],
      [2, 2, 2],
    ],
    [
      'the cap is lifted a layer after BASE_HOLD_MS, and again after BASE_HOLD_MS when that holds',
      'L3T3',
      [
        [0, 'S1T0'],
        [SETTLE_MS, 'tick'],
        [SETTLE_MS + 100, 'S0T2'],
        [SETTLE_MS + BASE_HOLD_MS, 'tick'],
        [SETTLE_MS + BASE_HOLD_MS + 200, 'S1T2'],
        [SETTLE_MS + 2 * BASE_HOLD_MS, 'tick'],
      ],
      [2, 0, 0, 1, 1, 2],
    ],
    [
      'a lift that falls back to fewer frames caps again, for twice as long',
      'L3T3',
      [
        [0, 'S1T0'],
        [SETTLE_MS, 'tick'],
        [SETTLE_MS + BASE_HOLD_MS, 'tick'],
        [SETTLE_MS + BASE_HOLD_MS + 100, 'S1T0'],
        [2 * SETTLE_MS + BASE_HOLD_MS + 100, 'tick'],
        [2 * SETTLE_MS + 2 * BASE_HOLD_MS + 99, 'tick'],
        [2 * SETTLE_MS + 3 * BASE_HOLD_MS + 100, 'tick'],
      ],
      [2, 0, 1, 1, 0, 0, 1],
    ],
  ])('%s (%s)', (_name, mode, steps, caps) => {
    expect(run(steps, layerCounts(mode)).caps).toEqual(caps);
  });

  it('the hold doubles up to MAX_HOLD_MS and goes back to BASE_HOLD_MS at the top', () => {
    let guard = initialGuard(L3T3);
    let now = 0;
    const holds: number[] = [];
    for (let i = 0; i < 6; i++) {
      guard = stepGuard(L3T3, guard, input('S1T0'), now);
      now += SETTLE_MS;
      guard = stepGuard(L3T3, guard, input('tick'), now);
      holds.push((guard.liftAtMs ?? 0) - now);
      now = guard.liftAtMs ?? now;
      guard = stepGuard(L3T3, guard, input('tick'), now);
    }
    expect(holds).toEqual([BASE_HOLD_MS, 2 * BASE_HOLD_MS, 4 * BASE_HOLD_MS, MAX_HOLD_MS, MAX_HOLD_MS, MAX_HOLD_MS]);
    expect(guard.cap).toBe(1);
    guard = stepGuard(L3T3, guard, input('S1T2'), now + 1);
    guard = stepGuard(L3T3, guard, input('tick'), now + BASE_HOLD_MS);
    expect(guard).toMatchObject({ cap: 2, liftAtMs: null, holdMs: BASE_HOLD_MS });
  });
});

describe('nextTickMs', () => {
  it.each<[string, Step[], number | null]>([
    ['nothing pending', [[0, 'S2T2']], null],
    ['a reduced frame rate: when it has lasted SETTLE_MS', [[100, 'S1T0']], 100 + SETTLE_MS],
    [
      'capped: when the cap is lifted',
      [
        [0, 'S1T0'],
        [SETTLE_MS, 'tick'],
      ],
      SETTLE_MS + BASE_HOLD_MS,
    ],
    [
      'capped and reduced again at the cap: the earlier of the two',
      [
        [0, 'S2T0'],
        [SETTLE_MS, 'tick'],
        [SETTLE_MS + 10, 'S1T0'],
      ],
      2 * SETTLE_MS + 10,
    ],
  ])('%s', (_name, steps, expected) => {
    expect(nextTickMs(run(steps).guard)).toBe(expected);
  });
});

describe('guardedLayers', () => {
  it('the cap, at the top temporal layer', () => {
    const { guard } = run([
      [0, 'S1T0'],
      [SETTLE_MS, 'tick'],
    ]);
    expect(guardedLayers(L3T3, guard)).toEqual({ spatialLayer: 0, temporalLayer: 2 });
  });
});
