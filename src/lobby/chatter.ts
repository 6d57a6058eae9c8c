import { randomUUID } from 'node:crypto';
import { ChatFilter } from '../chat/text-filter.js';
import type { ChatterMedia } from '../media/chatter-media.js';
import type { ChatMode } from '../protocol/messages.js';
import type { Connection } from '../signaling/connection.js';
import type { ChatterState } from './chatter-state.js';

export interface ChatSettings {
  mode: ChatMode;
  interests: string[];
  countries: string[];
}

/**
 * One visitor for the life of one WebSocket. Knows its keyed address hash and approximate country,
 * never the address itself. Requests are handled one at a time, in order.
 */
export class Chatter {
  readonly id = randomUUID();
  readonly ipHash: string;
  readonly country: string | null;
  readonly connection: Connection;
  readonly chatFilter = new ChatFilter();
  state: ChatterState = 'idle';
  settings: ChatSettings | undefined;
  partner: Chatter | undefined;
  media: ChatterMedia | undefined;
  /** When the lobby next asks the matchmaker again for this waiting chatter (ms epoch). */
  nextRetryAt = 0;
  /** Who the chatter was last paired with, reportable until `until` (ms epoch). */
  lastPartner: { ipHash: string; until: number } | undefined;
  #queue: Promise<void> = Promise.resolve();

  constructor(connection: Connection, ipHash: string, country: string | null) {
    this.connection = connection;
    this.ipHash = ipHash;
    this.country = country;
  }

  /** Runs tasks for this chatter strictly one after another. */
  serialize(task: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(task, task);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  get gone(): boolean {
    return this.connection.closed;
  }
}
