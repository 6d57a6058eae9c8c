import type { ModeratorTimers } from '../../src/moderation/moderator.js';

interface PendingTimer {
  readonly id: number;
  readonly ms: number;
  readonly callback: () => void;
}

/**
 * Timers that fire only when the test says so, for code that takes a timers option (the
 * moderator's ModeratorTimers). A test sees what is scheduled (`pending`) and runs it (`fireNext`)
 * instead of sleeping until it happens, and proves that nothing is scheduled instead of waiting to
 * see that nothing comes.
 */
export class ManualTimers implements ModeratorTimers {
  readonly #pending: PendingTimer[] = [];
  readonly #waiters: { ms: number | null; wake: () => void }[] = [];
  #nextId = 1;

  setTimeout(callback: () => void, ms: number): number {
    const id = this.#nextId++;
    this.#pending.push({ id, ms, callback });
    for (const waiter of this.#waiters.filter((w) => w.ms === null || w.ms === ms)) {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.wake();
    }
    return id;
  }

  /** Resolves once a timer of `ms` (of any delay, when `ms` is omitted) is pending; at once if one is. */
  whenSet(ms?: number): Promise<void> {
    if (this.#pending.some((timer) => ms === undefined || timer.ms === ms)) return Promise.resolve();
    return new Promise((wake) => this.#waiters.push({ ms: ms ?? null, wake }));
  }

  /** Fires the oldest pending timer of `ms`; throws when none is set. */
  fire(ms: number): void {
    const index = this.#pending.findIndex((timer) => timer.ms === ms);
    if (index === -1) throw new Error(`ManualTimers.fire(${ms}): no such timer is set`);
    const [timer] = this.#pending.splice(index, 1);
    timer?.callback();
  }

  clearTimeout(handle: unknown): void {
    const index = this.#pending.findIndex((timer) => timer.id === handle);
    if (index !== -1) this.#pending.splice(index, 1);
  }

  /** The delays of the timers that are set and not yet fired or cleared, oldest first. */
  pending(): number[] {
    return this.#pending.map((timer) => timer.ms);
  }

  /** Fires the oldest pending timer (as if its delay had passed); throws when none is set. */
  fireNext(): void {
    const timer = this.#pending.shift();
    if (timer === undefined) throw new Error('ManualTimers.fireNext(): no timer is set');
    timer.callback();
  }
}
