/**
 * A minimal typed event emitter: each event name maps to its argument tuple. One throwing listener
 * cannot stop the others or break the emitting code (the error is reported with console.warn).
 */
export type EventMap = Record<string, unknown[]>;

type Listeners<Events extends EventMap> = { [K in keyof Events]?: Set<(...args: Events[K]) => void> };

export class Emitter<Events extends EventMap> {
  readonly #listeners: Listeners<Events> = {};

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): () => void {
    const set = this.#listeners[event] ?? new Set<(...args: Events[K]) => void>();
    this.#listeners[event] = set;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.#listeners[event];
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (error) {
        console.warn(`emit() | a listener of "${String(event)}" threw`, error);
      }
    }
  }
}
