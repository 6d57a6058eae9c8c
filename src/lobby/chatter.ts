import { randomUUID } from 'node:crypto';
import { ChatFilter } from '../chat/text-filter.js';
import type { ChatterMedia } from '../media/chatter-media.js';
import type { ChatMode } from '../protocol/messages.js';
import type { DeviceSummary } from '../edge/device.js';
import type { ModeratedChatter } from '../moderation/moderator.js';
import type { Connection } from '../signaling/connection.js';
import type { Visitor } from '../signaling/ws-server.js';
import type { PairSide } from '../protocol/node-messages.js';
import type { ChatterState } from './chatter-state.js';
import type { Partner } from './partner.js';

export interface ChatSettings {
  mode: ChatMode;
  interests: string[];
  countries: string[];
}

/**
 * One visitor for the life of one WebSocket (or of several, when a dropped one is resumed). Knows its keyed address hash and approximate country,
 * never the address itself. Requests are handled one at a time, in order.
 */
export class Chatter implements ModeratedChatter {
  readonly id = randomUUID();
  readonly ipHash: string;
  readonly country: string | null;
  readonly device: DeviceSummary;
  #connection: Connection;
  readonly chatFilter = new ChatFilter();
  state: ChatterState = 'idle';
  settings: ChatSettings | undefined;
  partner: Partner | undefined;
  /** The node a pair offer for this chatter is out to, until it is answered. */
  offeredTo: string | undefined;
  media: ChatterMedia | undefined;
  /** When the matchmaker first said this waiting chatter has no ticket (0: it has one). */
  ticketMissingSince = 0;
  /** When the chatter last started searching (ms epoch), for the pairing-wait metric. */
  searchingSince = 0;
  /** When the lobby next asks the matchmaker again for this waiting chatter (ms epoch). */
  nextRetryAt = 0;
  /** Who the chatter was last paired with, reportable until `until` (ms epoch). */
  lastPartner: (PairSide & { until: number }) | undefined;
  #queue: Promise<void> = Promise.resolve();

  constructor(connection: Connection, visitor: Visitor) {
    this.#connection = connection;
    this.ipHash = visitor.ipHash;
    this.country = visitor.country;
    this.device = visitor.device;
  }

  get videoSource(): ModeratedChatter['videoSource'] {
    return this.media?.videoSource;
  }

  /** Runs tasks for this chatter strictly one after another. */
  serialize(task: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(task, task);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** The browser's current socket: a resume after a drop replaces it. */
  get connection(): Connection {
    return this.#connection;
  }

  set connection(connection: Connection) {
    this.#connection = connection;
  }

  /** No socket to talk to: left, or suspended after a drop (src/lobby/suspensions.ts). */
  get gone(): boolean {
    return this.#connection.closed;
  }
}
