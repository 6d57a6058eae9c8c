import { describe, expect, it } from 'vitest';
import { FloodGuard, TokenBucket, admit, type AdmitVerdict, type FloodGuardOptions, type TokenBucketOptions } from '../../src/edge/rate-limit.js';
import { TOKEN_BUCKET_CASES } from '../support/token-bucket.cases.js';

/** A clock the test moves by hand. */
function manualClock(start = 0): { now: () => number; advance: (ms: number) => void; set: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms), set: (ms) => void (t = ms) };
}

/** One step: move the clock by `wait` ms, then take `cost`, expecting `ok`. */
type TakeStep = [wait: number, cost: number, ok: boolean];

describe('TokenBucket.take', () => {
  const cases: { name: string; rate: number; burst: number; steps: TakeStep[] }[] = [
    {
      name: 'starts full, then refuses',
      rate: 1,
      burst: 3,
      steps: [
        [0, 1, true],
        [0, 1, true],
        [0, 1, true],
        [0, 1, false],
      ],
    },
    {
      name: 'refills at the rate, not before',
      rate: 2,
      burst: 2,
      steps: [
        [0, 2, true],
        [0, 1, false],
        [499, 1, false],
        [1, 1, true],
        [0, 1, false],
      ],
    },
    {
      name: 'never holds more than burst after idling',
      rate: 10,
      burst: 2,
      steps: [
        [60_000, 2, true],
        [0, 1, false],
      ],
    },
    {
      name: 'a refused take takes nothing',
      rate: 1,
      burst: 5,
      steps: [
        [0, 4, true],
        [0, 2, false],
        [0, 1, true],
        [0, 1, false],
      ],
    },
    {
      name: 'a cost above burst is never paid',
      rate: 100,
      burst: 3,
      steps: [
        [0, 4, false],
        [100_000, 4, false],
        [0, 3, true],
      ],
    },
    {
      name: 'cost 0 always passes',
      rate: 1,
      burst: 1,
      steps: [
        [0, 1, true],
        [0, 0, true],
        [0, 1, false],
      ],
    },
    {
      name: 'fractional rate',
      rate: 0.5,
      burst: 1,
      steps: [
        [0, 1, true],
        [1_999, 1, false],
        [1, 1, true],
      ],
    },
    {
      name: 'fractional cost',
      rate: 1,
      burst: 1,
      steps: [
        [0, 0.5, true],
        [0, 0.5, true],
        [0, 0.5, false],
        [500, 0.5, true],
      ],
    },
  ];
  it.each(cases)('$name', ({ rate, burst, steps }) => {
    const clock = manualClock(1_000);
    const bucket = new TokenBucket({ ratePerSecond: rate, burst, now: clock.now });
    const results = steps.map(([wait, cost]) => {
      clock.advance(wait);
      return bucket.take(cost);
    });
    expect(results).toEqual(steps.map(([, , ok]) => ok));
  });

  it('a clock stepping back neither drains nor refills the bucket', () => {
    const clock = manualClock(10_000);
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 2, now: clock.now });
    clock.set(5_000);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    clock.set(10_999);
    expect(bucket.take()).toBe(false);
    clock.set(11_000);
    expect(bucket.take()).toBe(true);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('throws TypeError for cost %s', (cost) => {
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 1, now: () => 0 });
    expect(() => bucket.take(cost)).toThrow(TypeError);
  });
});

describe('TokenBucket: the cases SharedRateLimit must answer alike', () => {
  it.each(TOKEN_BUCKET_CASES)('$name', ({ ratePerSecond, burst, steps }) => {
    const clock = manualClock(steps[0]?.[0]);
    const bucket = new TokenBucket({ ratePerSecond, burst, now: clock.now });
    const answers = steps.map(([at]) => {
      clock.set(at);
      return bucket.take() ? 0 : bucket.retryAfterMs();
    });
    expect(answers).toEqual(steps.map(([, waitMs]) => waitMs));
  });
});

describe('TokenBucket.retryAfterMs', () => {
  const cases: { name: string; taken: number; cost: number; expected: number }[] = [
    { name: 'zero when available', taken: 0, cost: 1, expected: 0 },
    { name: 'time for the missing token', taken: 4, cost: 1, expected: 500 },
    { name: 'time for several missing tokens', taken: 4, cost: 3, expected: 1_500 },
    { name: 'infinite above burst', taken: 0, cost: 5, expected: Number.POSITIVE_INFINITY },
  ];
  it.each(cases)('$name', ({ taken, cost, expected }) => {
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 4, now: () => 0 });
    expect(bucket.take(taken)).toBe(true);
    expect(bucket.retryAfterMs(cost)).toBe(expected);
  });
});

describe('TokenBucket options', () => {
  const bad: [string, TokenBucketOptions][] = [
    ['zero rate', { ratePerSecond: 0, burst: 1 }],
    ['negative rate', { ratePerSecond: -1, burst: 1 }],
    ['NaN rate', { ratePerSecond: Number.NaN, burst: 1 }],
    ['infinite rate', { ratePerSecond: Number.POSITIVE_INFINITY, burst: 1 }],
    ['burst below one', { ratePerSecond: 1, burst: 0.5 }],
    ['zero burst', { ratePerSecond: 1, burst: 0 }],
    ['infinite burst', { ratePerSecond: 1, burst: Number.POSITIVE_INFINITY }],
  ];
  it.each(bad)('rejects %s with TypeError', (_name, options) => {
    expect(() => new TokenBucket(options)).toThrow(TypeError);
  });
});

describe('FloodGuard', () => {
  const cases: { name: string; options: FloodGuardOptions; rejectAt: number[]; expected: AdmitVerdict[] }[] = [
    {
      name: 'disconnects on the Nth rejection inside the window',
      options: { maxRejections: 3, windowMs: 1_000 },
      rejectAt: [0, 100, 200],
      expected: ['rate_limited', 'rate_limited', 'disconnect'],
    },
    {
      name: 'rejections spread wider than the window only get rate_limited',
      options: { maxRejections: 3, windowMs: 1_000 },
      rejectAt: [0, 600, 1_200, 1_800, 2_400],
      expected: ['rate_limited', 'rate_limited', 'rate_limited', 'rate_limited', 'rate_limited'],
    },
    {
      name: 'the window slides: old rejections stop counting',
      options: { maxRejections: 3, windowMs: 1_000 },
      rejectAt: [0, 900, 1_000, 1_500],
      expected: ['rate_limited', 'rate_limited', 'rate_limited', 'disconnect'],
    },
    {
      name: 'stays disconnected once flooding',
      options: { maxRejections: 2, windowMs: 1_000 },
      rejectAt: [0, 1, 60_000],
      expected: ['rate_limited', 'disconnect', 'disconnect'],
    },
    {
      name: 'defaults: 20 rejections within 10 s',
      options: {},
      rejectAt: Array.from({ length: 20 }, (_, i) => i * 500),
      expected: [...Array<AdmitVerdict>(19).fill('rate_limited'), 'disconnect'],
    },
  ];
  it.each(cases)('$name', ({ options, rejectAt, expected }) => {
    const clock = manualClock();
    const guard = new FloodGuard({ ...options, now: clock.now });
    const verdicts = rejectAt.map((at) => {
      clock.set(at);
      return guard.reject();
    });
    expect(verdicts).toEqual(expected);
    expect(guard.flooding).toBe(expected.includes('disconnect'));
  });

  const bad: [string, FloodGuardOptions][] = [
    ['zero maxRejections', { maxRejections: 0 }],
    ['fractional maxRejections', { maxRejections: 2.5 }],
    ['zero window', { windowMs: 0 }],
    ['NaN window', { windowMs: Number.NaN }],
  ];
  it.each(bad)('rejects %s with TypeError', (_name, options) => {
    expect(() => new FloodGuard(options)).toThrow(TypeError);
  });
});

describe('admit', () => {
  it('accepts within the burst, answers rate_limited, then disconnects, and never accepts again', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 2, now: clock.now });
    const guard = new FloodGuard({ maxRejections: 3, windowMs: 1_000, now: clock.now });
    const verdicts = Array.from({ length: 5 }, () => admit(bucket, guard));
    expect(verdicts).toEqual(['accept', 'accept', 'rate_limited', 'rate_limited', 'disconnect']);
    clock.advance(60_000);
    expect(admit(bucket, guard)).toBe('disconnect');
  });

  it('catches a client sending at twice its rate even though some frames get through', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 10, now: clock.now });
    const guard = new FloodGuard({ maxRejections: 20, windowMs: 10_000, now: clock.now });
    const verdicts: AdmitVerdict[] = [];
    for (let i = 0; i < 100; i++) {
      clock.set(i * 50);
      verdicts.push(admit(bucket, guard));
    }
    expect(verdicts).toContain('accept');
    expect(verdicts.at(-1)).toBe('disconnect');
  });

  it('never rate-limits a client that stays at its rate', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 10, now: clock.now });
    const guard = new FloodGuard({ now: clock.now });
    const verdicts = Array.from({ length: 1_000 }, (_, i) => {
      clock.set(i * 100);
      return admit(bucket, guard);
    });
    expect(new Set(verdicts)).toEqual(new Set(['accept']));
  });

  it('passes the cost to the bucket', () => {
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 3, now: () => 0 });
    const guard = new FloodGuard({ now: () => 0 });
    expect([admit(bucket, guard, 2), admit(bucket, guard, 2), admit(bucket, guard, 1)]).toEqual(['accept', 'rate_limited', 'accept']);
  });
});
