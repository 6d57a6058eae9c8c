import type { types } from 'mediasoup';
import type { NodeBus } from '../cluster/node-bus.js';
import type { NodePipes } from '../media/node-pipes.js';
import type { PartnerLeftReason } from '../protocol/messages.js';
import type { PairSide, RelayedMessage } from '../protocol/node-messages.js';
import type { Chatter } from './chatter.js';

/** A partner's producers made consumable in one router, and which of them are live. */
export interface ImportedMedia {
  producerIds: string[];
  live: { audio: boolean; video: boolean };
}

/**
 * The other side of a chatter's pair, on this node or on another, behind one interface: the
 * lobby's rules are written once against it. `side` is all a chatter's node knows of the partner.
 */
export interface Partner {
  readonly side: PairSide;
  /** Passes a message on to the partner's browser. */
  relay(message: RelayedMessage): void;
  /** Tells the partner's side that this side ended the pair. */
  left(reason: PartnerLeftReason): void;
  /** Makes the partner's producers consumable in `router` (this chatter's). */
  importMedia(router: types.Router): Promise<ImportedMedia>;
}

/** What happens on a node when a partner's side acts: the lobby's handlers for its own chatters. */
export interface PairEvents {
  relayed(to: Chatter, from: string, message: RelayedMessage): void;
  partnerLeft(to: Chatter, from: string, reason: PartnerLeftReason): void;
}

const NOTHING_LIVE = { audio: false, video: false };

/** A partner connected to this node. */
export class LocalPartner implements Partner {
  readonly side: PairSide;
  readonly #partner: Chatter;
  readonly #self: Chatter;
  readonly #events: PairEvents;

  constructor(partner: Chatter, self: Chatter, nodeId: string, events: PairEvents) {
    this.#partner = partner;
    this.#self = self;
    this.#events = events;
    this.side = { id: partner.id, node: nodeId, ipHash: partner.ipHash, country: partner.country };
  }

  relay(message: RelayedMessage): void {
    this.#events.relayed(this.#partner, this.#self.id, message);
  }

  left(reason: PartnerLeftReason): void {
    this.#events.partnerLeft(this.#partner, this.#self.id, reason);
  }

  async importMedia(router: types.Router): Promise<ImportedMedia> {
    const media = this.#partner.media;
    if (!media || media.closed) return { producerIds: [], live: NOTHING_LIVE };
    return { producerIds: await media.pipeTo(router), live: media.liveKinds };
  }
}

/** A partner connected to another node: everything goes over that node's channel. */
export class RemotePartner implements Partner {
  readonly side: PairSide;
  readonly #selfId: string;
  readonly #bus: NodeBus;
  readonly #pipes: NodePipes;

  constructor(side: PairSide, selfId: string, bus: NodeBus, pipes: NodePipes) {
    this.side = side;
    this.#selfId = selfId;
    this.#bus = bus;
    this.#pipes = pipes;
  }

  relay(message: RelayedMessage): void {
    void this.#bus.send(this.side.node, { type: 'partner.relay', to: this.side.id, from: this.#selfId, message });
  }

  left(reason: PartnerLeftReason): void {
    void this.#bus.send(this.side.node, { type: 'partner.left', to: this.side.id, from: this.#selfId, reason });
  }

  async importMedia(router: types.Router): Promise<ImportedMedia> {
    const exported = await this.#bus.request(this.side.node, { type: 'media.export', chatterId: this.side.id, toRouterId: router.id });
    const producerIds = await this.#pipes.importFrom(this.side.node, exported);
    const live = (kind: 'audio' | 'video'): boolean => exported.producers.some((producer) => producer.kind === kind && !producer.paused);
    return { producerIds, live: { audio: live('audio'), video: live('video') } };
  }
}
