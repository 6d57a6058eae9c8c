import type { Connection } from '../signaling/connection.js';
import type { Chatter } from './chatter.js';

/**
 * Who each socket speaks for: the chatter it was admitted as, or the one it resumed. A socket that
 * a later resume replaced (the chatter now speaks through another one) speaks for no one.
 */
export class SocketOwners {
  readonly #owners = new WeakMap<Connection, Chatter>();

  set(connection: Connection, chatter: Chatter): void {
    this.#owners.set(connection, chatter);
  }

  /** The chatter `connection` speaks for, while it is that chatter's current socket. */
  of(connection: Connection): Chatter | undefined {
    const owner = this.#owners.get(connection);
    return owner?.connection === connection ? owner : undefined;
  }
}
