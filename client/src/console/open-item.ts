import type { ConsoleApi } from './api-client.js';
import type { ItemDetail } from '../../../src/protocol/console-api.js';
import { ApiError } from './api-error.js';
import { claimRenewDelayMs } from './format.js';

const RENEW_RETRY_MS = 15_000;

export interface OpenItemEvents {
  /** The lease was renewed until this time. */
  renewed(claimExpiresAt: number): void;
  /** Renewing failed (claimed by someone else after expiry, session ended, server error). */
  renewFailed(error: unknown): void;
}

/**
 * An item this moderator holds: created by claiming it and reading its details (so a half-open
 * item never exists), it renews the claim lease while open and releases it on close().
 */
export class OpenItem {
  readonly #api: ConsoleApi;
  readonly #events: OpenItemEvents;
  #detail: ItemDetail;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /** Claims the item (409 `claimed` when someone else holds it), then reads it. */
  static async open(api: ConsoleApi, id: string, events: OpenItemEvents): Promise<OpenItem> {
    const claim = await api.claim(id);
    let detail: ItemDetail;
    try {
      detail = await api.item(id);
    } catch (error) {
      // The item cannot be shown: give the claim back rather than block it for the lease. The
      // read's error is the one to report; a failed release only means the lease runs out.
      await api.release(id).catch(() => undefined);
      throw error;
    }
    return new OpenItem(api, { ...detail, claimedBy: claim.claimedBy, claimExpiresAt: claim.claimExpiresAt }, events);
  }

  private constructor(api: ConsoleApi, detail: ItemDetail, events: OpenItemEvents) {
    this.#api = api;
    this.#detail = detail;
    this.#events = events;
    this.#scheduleRenewal();
  }

  get id(): string {
    return this.#detail.id;
  }

  get detail(): ItemDetail {
    return this.#detail;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Records a change the server reported (escalation, legal hold). */
  update(change: Partial<ItemDetail>): void {
    this.#detail = { ...this.#detail, ...change };
  }

  /**
   * Stops renewing; with `release`, gives the claim back (not after a dismiss, which deleted the
   * item, nor after the session ended). Idempotent; rejects when the release request fails.
   */
  async close(options: { release: boolean; keepalive?: boolean }): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    if (options.release) await this.#api.release(this.id, { keepalive: options.keepalive ?? false });
  }

  #scheduleRenewal(): void {
    const expiresAt = this.#detail.claimExpiresAt;
    if (expiresAt === null || this.#closed) return;
    this.#timer = setTimeout(() => void this.#renew(), claimRenewDelayMs(expiresAt, Date.now()));
  }

  async #renew(): Promise<void> {
    try {
      const claim = await this.#api.claim(this.id);
      if (this.#closed) return;
      this.#detail = { ...this.#detail, claimedBy: claim.claimedBy, claimExpiresAt: claim.claimExpiresAt };
      this.#events.renewed(claim.claimExpiresAt);
      this.#scheduleRenewal();
    } catch (error) {
      if (this.#closed) return;
      this.#events.renewFailed(error);
      // A refusal is final (someone else holds it, the item or session is gone); anything else
      // (no connection, server error) is tried again while the lease may still be running.
      if (!(error instanceof ApiError && error.status < 500)) {
        this.#timer = setTimeout(() => void this.#renew(), RENEW_RETRY_MS);
      }
    }
  }
}
