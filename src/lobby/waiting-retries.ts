import { logger } from '../logging/logger.js';
import type { Matchmaker } from '../matching/matchmaker.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Chatter } from './chatter.js';
import type { Pairing } from './pairing.js';

const log = logger('lobby');
const RETRY_TICK_MS = 250;

export interface WaitingRetriesParts {
  chatters: ReadonlyMap<string, Chatter>;
  matchmaker: Matchmaker;
  pairing: Pairing;
  metrics: Metrics;
  /** Queues a chatter afresh (its ticket was lost). */
  requeue: (chatter: Chatter) => Promise<void>;
}

export interface WaitingRetriesOptions {
  /** A waiting chatter is asked about again this often. */
  retryMs: number;
  /** A waiting chatter whose ticket has been missing this long is queued again. */
  ticketLossMs: number;
}

/**
 * Asks the matchmaker again about every waiting chatter that is due (fallbacks pass, recent
 * partners expire, a bounded scan may have missed someone), one at a time, on a timer; and queues
 * again a chatter whose ticket was lost.
 */
export class WaitingRetries {
  readonly #parts: WaitingRetriesParts;
  readonly #options: WaitingRetriesOptions;
  readonly #timer: NodeJS.Timeout;
  #running = false;

  constructor(parts: WaitingRetriesParts, options: WaitingRetriesOptions) {
    this.#parts = parts;
    this.#options = options;
    this.#timer = setInterval(() => void this.#tick(), Math.min(RETRY_TICK_MS, options.retryMs));
  }

  close(): void {
    clearInterval(this.#timer);
  }

  async #tick(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      for (const chatter of this.#parts.chatters.values()) {
        if (chatter.state !== 'waiting' || chatter.nextRetryAt > Date.now()) continue;
        await chatter
          .serialize(() => this.#retry(chatter))
          .catch((error: Error) => log.warn({ chatter: chatter.id, err: error.message }, 'match retry failed'));
      }
    } finally {
      this.#running = false;
    }
  }

  async #retry(chatter: Chatter): Promise<void> {
    if (chatter.state !== 'waiting' || chatter.gone) return;
    chatter.nextRetryAt = Date.now() + this.#options.retryMs;
    this.#parts.metrics.matchRetries.inc();
    const match = await this.#parts.matchmaker.retry(chatter.id, Date.now());
    if (match === 'no_ticket') {
      // Also true for a moment while a match that took the ticket is being made (here or on another
      // node): only a ticket missing for longer than that was lost (its queueing failed while Redis
      // was away, or Redis lost it), and the chatter is queued again.
      chatter.ticketMissingSince ||= Date.now();
      if (chatter.state === 'waiting' && Date.now() - chatter.ticketMissingSince >= this.#options.ticketLossMs) await this.#parts.requeue(chatter);
      return;
    }
    chatter.ticketMissingSince = 0;
    if (match) await this.#parts.pairing.pair(chatter, match);
  }
}

/**
 * The first time a newly waiting chatter is looked at again: just after its interest fallback
 * passes (then anyone will do), or after the ordinary retry interval. Arrivals find waiting
 * chatters by themselves; retries only catch what changed with time (fallbacks, recent-partner
 * expiry) or what a bounded scan missed.
 */
export function firstRetryAt(now: number, hasInterests: boolean, fallbackMs: number, retryMs: number): number {
  return hasInterests ? now + fallbackMs + 1 : now + retryMs;
}
