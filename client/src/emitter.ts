/**
 * A minimal typed event emitter: each event name maps to its argument tuple. One throwing listener
 * cannot stop the others or corrupt the emitter's caller (errors are reported with console.warn).
 */
export type EventMap = Record<string, unknown[]>;

export class Emitter<Events extends EventMap> {
  readonly #listeners = new Map<keyof Events, Set<(...args: never[]) => void>>();

  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as (...args: never[]) => void);
    return () => set.delete(listener as (...args: never[]) => void);
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (...a: Events[K]) => void)(...args);
      } catch (error) {
        console.warn(`emit() | listener of "${String(event)}" threw`, error);
      }
    }
  }
}
