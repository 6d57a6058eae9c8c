/**
 * Per-sender flood and repeat bookkeeping for text chat. Holds only timestamps and short hashes of
 * recently relayed messages, never their text, and never more than a fixed number of each.
 */
import { createHash } from 'node:crypto';

/** A one-way hash of a normalized message; the only form in which past messages are remembered. */
export type Fingerprint = string & { readonly __brand: 'Fingerprint' };

/** Hashes a normalized message key (SHA-256, first 64 bits in hex). */
export function fingerprint(key: string): Fingerprint {
  return createHash('sha256').update(key).digest('hex').slice(0, 16) as Fingerprint;
}

export interface SpamTrackerOptions {
  /** Messages relayed within `floodWindowMs` after which the next one is refused. Default 6. */
  floodMessages?: number;
  /** Flood window in milliseconds. Default 5 000. */
  floodWindowMs?: number;
  /** Copies of the same message relayed within `repeatWindowMs` before the next is refused. Default 2. */
  repeatLimit?: number;
  /** Repeat window in milliseconds. Default 60 000. */
  repeatWindowMs?: number;
  /** How many recent fingerprints are kept for repeat detection. Default 30. */
  repeatHistory?: number;
  /** Test hook: clock in milliseconds. Default `performance.now()` (monotonic). */
  now?: () => number;
}

type Settings = Required<SpamTrackerOptions>;

/** Defaults used by SpamTracker and ChatFilter. */
export const SPAM_DEFAULTS: Readonly<Omit<Settings, 'now'>> = Object.freeze({
  floodMessages: 6,
  floodWindowMs: 5_000,
  repeatLimit: 2,
  repeatWindowMs: 60_000,
  repeatHistory: 30,
});

function checked(name: string, value: number, integer: boolean): number {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new TypeError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`);
  }
  return value;
}

/** Flood and repeat state for one sender. Call `record()` only for messages actually relayed. */
export class SpamTracker {
  readonly #cfg: Settings;
  /** Times of the last `floodMessages` relayed messages, oldest first. */
  readonly #sentAt: number[] = [];
  /** The last `repeatHistory` relayed messages, oldest first. */
  readonly #recent: { at: number; print: Fingerprint }[] = [];

  constructor(options: SpamTrackerOptions = {}) {
    const d = SPAM_DEFAULTS;
    this.#cfg = {
      floodMessages: checked('floodMessages', options.floodMessages ?? d.floodMessages, true),
      floodWindowMs: checked('floodWindowMs', options.floodWindowMs ?? d.floodWindowMs, false),
      repeatLimit: checked('repeatLimit', options.repeatLimit ?? d.repeatLimit, true),
      repeatWindowMs: checked('repeatWindowMs', options.repeatWindowMs ?? d.repeatWindowMs, false),
      repeatHistory: checked('repeatHistory', options.repeatHistory ?? d.repeatHistory, true),
      now: options.now ?? (() => performance.now()),
    };
  }

  /** True when `floodMessages` messages were already relayed within the flood window. */
  isFlooding(): boolean {
    const oldest = this.#sentAt[0];
    return this.#sentAt.length === this.#cfg.floodMessages && oldest !== undefined && this.#cfg.now() - oldest < this.#cfg.floodWindowMs;
  }

  /** True when `repeatLimit` copies of this message were already relayed within the repeat window. */
  isRepeat(print: Fingerprint): boolean {
    const since = this.#cfg.now() - this.#cfg.repeatWindowMs;
    let copies = 0;
    for (const entry of this.#recent) if (entry.print === print && entry.at > since) copies++;
    return copies >= this.#cfg.repeatLimit;
  }

  /**
   * Remembers a relayed message, dropping the oldest entries beyond the configured bounds. `null`
   * counts towards flooding only (messages too short to be judged as repeats).
   */
  record(print: Fingerprint | null): void {
    const at = this.#cfg.now();
    this.#sentAt.push(at);
    if (this.#sentAt.length > this.#cfg.floodMessages) this.#sentAt.shift();
    if (print === null) return;
    this.#recent.push({ at, print });
    if (this.#recent.length > this.#cfg.repeatHistory) this.#recent.shift();
  }
}
