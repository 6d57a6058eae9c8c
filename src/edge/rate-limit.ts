/**
 * Per-connection rate limiting for the signaling socket. Pure: no timers, no I/O; the clock is
 * injected so tests can drive it. The WebSocket layer keeps one TokenBucket and one FloodGuard per
 * connection and calls `admit()` for every incoming frame.
 */

/** Milliseconds from a monotonic clock. Defaults to `performance.now()`, which never goes back. */
export type Clock = () => number;

const monotonic: Clock = () => performance.now();

function requirePositive(name: string, value: number, integer: boolean): void {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new TypeError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`);
  }
}

export interface TokenBucketOptions {
  /** Tokens added per second. Required, > 0. */
  ratePerSecond: number;
  /** Capacity, and the number of tokens the bucket starts with. Required, >= 1. */
  burst: number;
  /** Test hook: clock in milliseconds. Default `performance.now()`. */
  now?: Clock;
}

/**
 * Classic token bucket: starts full with `burst` tokens and refills continuously at `ratePerSecond`,
 * never above `burst`. A take that cannot be paid in full takes nothing.
 */
export class TokenBucket {
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #now: Clock;
  #tokens: number;
  #last: number;

  constructor(options: TokenBucketOptions) {
    requirePositive('ratePerSecond', options.ratePerSecond, false);
    if (!Number.isFinite(options.burst) || options.burst < 1) {
      throw new TypeError(`burst must be a finite number >= 1, got ${String(options.burst)}`);
    }
    this.#ratePerMs = options.ratePerSecond / 1000;
    this.#burst = options.burst;
    this.#now = options.now ?? monotonic;
    this.#tokens = options.burst;
    this.#last = this.#now();
  }

  /** Tokens available right now (fractional). */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /**
   * Takes `cost` tokens if that many are available. Returns false (and takes nothing) otherwise;
   * a cost above `burst` can never be paid. Throws TypeError for a negative or non-finite cost.
   */
  take(cost = 1): boolean {
    if (!Number.isFinite(cost) || cost < 0) {
      throw new TypeError(`cost must be a finite number >= 0, got ${String(cost)}`);
    }
    this.#refill();
    if (cost > this.#tokens) return false;
    this.#tokens -= cost;
    return true;
  }

  /** Milliseconds until `take(cost)` would succeed; 0 if it would now, Infinity if never. */
  retryAfterMs(cost = 1): number {
    if (cost > this.#burst) return Number.POSITIVE_INFINITY;
    const missing = cost - this.tokens;
    return missing <= 0 ? 0 : Math.ceil(missing / this.#ratePerMs);
  }

  #refill(): void {
    const now = this.#now();
    // A clock that steps back (non-monotonic test clocks) adds nothing and does not move `last` back.
    if (now <= this.#last) return;
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) * this.#ratePerMs);
    this.#last = now;
  }
}

export interface FloodGuardOptions {
  /** Rejections within `windowMs` that mark the sender as flooding. Default 20. */
  maxRejections?: number;
  /** Sliding window for counting rejections, in milliseconds. Default 10 000. */
  windowMs?: number;
  /** Test hook: clock in milliseconds. Default `performance.now()`. */
  now?: Clock;
}

/** What the socket layer does with a frame. */
export type AdmitVerdict = 'accept' | 'rate_limited' | 'disconnect';

/**
 * Decides between "reply rate_limited" and "disconnect for flooding". It counts rejected frames in
 * a sliding window, accepted ones in between do not reset the count, so a client that keeps sending
 * just above its rate is caught as well as one that sends a wall of frames. Once it says
 * `disconnect` it keeps saying so. Memory is bounded: only the last `maxRejections` timestamps.
 */
export class FloodGuard {
  readonly #maxRejections: number;
  readonly #windowMs: number;
  readonly #now: Clock;
  readonly #rejections: number[] = [];
  #flooding = false;

  constructor(options: FloodGuardOptions = {}) {
    this.#maxRejections = options.maxRejections ?? 20;
    this.#windowMs = options.windowMs ?? 10_000;
    requirePositive('maxRejections', this.#maxRejections, true);
    requirePositive('windowMs', this.#windowMs, false);
    this.#now = options.now ?? monotonic;
  }

  /** True once the sender has been judged to be flooding. */
  get flooding(): boolean {
    return this.#flooding;
  }

  /** Records one rejected frame and says whether to answer `rate_limited` or disconnect. */
  reject(): Exclude<AdmitVerdict, 'accept'> {
    if (this.#flooding) return 'disconnect';
    const now = this.#now();
    this.#rejections.push(now);
    if (this.#rejections.length > this.#maxRejections) this.#rejections.shift();
    const oldest = this.#rejections[0] ?? now;
    if (this.#rejections.length === this.#maxRejections && now - oldest < this.#windowMs) {
      this.#flooding = true;
      return 'disconnect';
    }
    return 'rate_limited';
  }
}

/**
 * The per-frame decision: take `cost` from the bucket; if it is empty, let the guard choose between
 * a `rate_limited` reply and a disconnect. A sender already judged flooding is never accepted again.
 */
export function admit(bucket: TokenBucket, guard: FloodGuard, cost = 1): AdmitVerdict {
  if (guard.flooding) return 'disconnect';
  return bucket.take(cost) ? 'accept' : guard.reject();
}
