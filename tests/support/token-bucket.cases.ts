/**
 * Test-only: one table of token-bucket cases (one token per take) that tests/unit/rate-limit.test.ts
 * runs against TokenBucket (one process) and tests/integration/shared-rate-limit.test.ts against
 * SharedRateLimit's Lua script in a real redis-server, so the per-process rule and the shared one
 * cannot drift apart.
 */
export interface TokenBucketCase {
  name: string;
  ratePerSecond: number;
  burst: number;
  /** [clock in ms, expected answer: 0 when a token is taken, else the ms until one is there]. */
  steps: readonly (readonly [at: number, waitMs: number])[];
}

const T = 1_700_000_000_000;
const repeat = (times: number, step: readonly [number, number]): (readonly [number, number])[] => Array.from({ length: times }, () => step);

export const TOKEN_BUCKET_CASES: readonly TokenBucketCase[] = [
  {
    name: 'starts full, then says how long until the next token',
    ratePerSecond: 1,
    burst: 3,
    steps: [...repeat(3, [T, 0]), [T, 1000]],
  },
  {
    name: 'refills at the rate, not before',
    ratePerSecond: 2,
    burst: 2,
    steps: [
      [T, 0],
      [T, 0],
      [T, 500],
      [T + 250, 250],
      [T + 500, 0],
      [T + 500, 500],
    ],
  },
  {
    name: 'never holds more than burst after idling',
    ratePerSecond: 10,
    burst: 2,
    steps: [
      [T, 0],
      [T + 60_000, 0],
      [T + 60_000, 0],
      [T + 60_000, 100],
    ],
  },
  {
    name: 'console logins: a burst of 10, then one every 6 s',
    ratePerSecond: 10 / 60,
    burst: 10,
    steps: [...repeat(10, [T, 0]), [T, 6000], [T + 3000, 3000], [T + 6000, 0], [T + 6000, 6000]],
  },
  {
    name: 'privacy requests: 10 a minute',
    ratePerSecond: 10 / 60,
    burst: 10,
    steps: [...repeat(10, [T, 0]), [T + 60_000, 0], ...repeat(9, [T + 60_000, 0]), [T + 60_000, 6000]],
  },
  {
    name: 'a refused take takes nothing',
    ratePerSecond: 1,
    burst: 1,
    steps: [[T, 0], ...repeat(5, [T + 500, 500]), [T + 1000, 0]],
  },
  {
    name: 'a clock behind the bucket (another node) neither refills nor moves it back',
    ratePerSecond: 1,
    burst: 2,
    steps: [
      [T + 10_000, 0],
      [T + 5_000, 0],
      [T + 5_000, 1000],
      [T + 10_500, 500],
      [T + 11_000, 0],
    ],
  },
];
