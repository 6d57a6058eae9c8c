import type { NodeBus } from '../cluster/node-bus.js';
import { logger } from '../logging/logger.js';
import type { Match, Matchmaker } from '../matching/matchmaker.js';
import type { NodePipes } from '../media/node-pipes.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Moderator } from '../moderation/moderator.js';
import type { PartnerLeftReason } from '../protocol/messages.js';
import type { NodeReplyData, NodeRequest, PairSide, RelayedMessage } from '../protocol/node-messages.js';
import type { Chatter } from './chatter.js';
import type { InterestTokens } from './interest-tokens.js';
import { LocalPartner, RemotePartner, type PairEvents, type Partner } from './partner.js';

const log = logger('pairing');
/** How long after a chat ends its partner can still be reported. */
export const REPORT_GRACE_MS = 60_000;

export interface PairingParts {
  nodeId: string;
  bus: NodeBus;
  pipes: NodePipes;
  /** This node's chatters by id. */
  chatters: ReadonlyMap<string, Chatter>;
  matchmaker: Matchmaker;
  moderator: Moderator | null;
  interests: InterestTokens;
  metrics: Metrics;
  /** Puts a chatter whose match fell through back in the queue. */
  requeue: (chatter: Chatter) => Promise<void>;
}

/**
 * Turns a match into a pair and a pair back into two idle chatters, whether the partner is on this
 * node or another. A match with a chatter of another node is offered to that node, which takes it
 * if its chatter still waits; without an answer before the bus deadline the chatter is queued again.
 * Media is connected by each side's own node, pulling the partner's producers into its router.
 */
export class Pairing implements PairEvents {
  readonly #parts: PairingParts;

  constructor(parts: PairingParts) {
    this.#parts = parts;
    parts.bus.onRequest('pair.offer', (request, from) => Promise.resolve(this.#accept(request, from)));
    parts.bus.onRequest('media.export', (request, from) => this.#export(request, from));
    parts.bus.onEvent('partner.relay', (event) => this.#withChatter(event.to, (to) => this.relayed(to, event.from, event.message)));
    parts.bus.onEvent('partner.left', (event) => this.#withChatter(event.to, (to) => this.partnerLeft(to, event.from, event.reason)));
    parts.bus.onEvent('pair.cancel', (event) => this.#withChatter(event.to, (to) => this.partnerLeft(to, event.from, 'disconnected')));
  }

  /** The matchmaker paired `chatter` (waiting, its ticket gone) with `match.partnerId`. */
  async pair(chatter: Chatter, match: Match): Promise<void> {
    if (match.partnerNode === this.#parts.nodeId) await this.#pairHere(chatter, match);
    else await this.#offer(chatter, match);
  }

  /** Ends the chatter's pair from its side; the partner's side is told why. */
  unpair(chatter: Chatter, reason: PartnerLeftReason): void {
    const partner = chatter.partner;
    this.#endSide(chatter);
    partner?.left(reason);
  }

  relayed(to: Chatter, from: string, message: RelayedMessage): void {
    if (to.partner?.side.id === from && !to.gone) to.connection.send(message);
  }

  partnerLeft(to: Chatter, from: string, reason: PartnerLeftReason): void {
    if (to.partner?.side.id !== from) return;
    this.#endSide(to);
    to.connection.send({ type: 'partner.left', reason });
  }

  /** A node went away: its pipes close and every partner it had here is told the chat ended. */
  nodeGone(nodeId: string): void {
    this.#parts.pipes.closeNode(nodeId);
    for (const chatter of this.#parts.chatters.values()) {
      const side = chatter.partner?.side;
      if (side?.node === nodeId) this.partnerLeft(chatter, side.id, 'disconnected');
    }
  }

  async #pairHere(chatter: Chatter, match: Match): Promise<void> {
    const partner = this.#parts.chatters.get(match.partnerId);
    if (!partner || !claim(partner)) {
      // The ticket outlived its chatter (gone, stopping, or left behind by an earlier run): look again.
      if (!partner) await this.#parts.matchmaker.leave(match.partnerId);
      await this.#parts.requeue(chatter);
      return;
    }
    const { nodeId } = this.#parts;
    this.#parts.metrics.pairings.inc({ locality: 'same_node' });
    this.#startSide(chatter, new LocalPartner(partner, chatter, nodeId, this), match.sharedInterests);
    this.#startSide(partner, new LocalPartner(chatter, partner, nodeId, this), match.sharedInterests);
    for (const self of [chatter, partner]) await this.#connectMedia(self);
  }

  async #offer(chatter: Chatter, match: Match): Promise<void> {
    const { bus } = this.#parts;
    chatter.offeredTo = match.partnerNode;
    let reply: NodeReplyData['pair.offer'];
    try {
      reply = await bus.request(match.partnerNode, {
        type: 'pair.offer',
        to: match.partnerId,
        from: this.#sideOf(chatter),
        sharedInterests: match.sharedInterests,
      });
    } catch (error) {
      log.warn({ chatter: chatter.id, node: match.partnerNode, err: (error as Error).message }, 'pair offer failed; queueing again');
      this.#parts.metrics.offers.inc({ outcome: 'failed' });
      void bus.send(match.partnerNode, { type: 'pair.cancel', to: match.partnerId, from: chatter.id });
      reply = { accepted: false };
    } finally {
      chatter.offeredTo = undefined;
    }
    this.#parts.metrics.offers.inc({ outcome: reply.accepted ? 'accepted' : 'declined' });
    if (!reply.accepted) {
      if (!chatter.gone && chatter.state === 'waiting') await this.#parts.requeue(chatter);
      return;
    }
    const partner = new RemotePartner(reply.side, chatter.id, bus, this.#parts.pipes);
    if (chatter.gone || chatter.state !== 'waiting') {
      partner.left('disconnected');
      return;
    }
    this.#parts.metrics.pairings.inc({ locality: 'cross_node' });
    this.#startSide(chatter, partner, match.sharedInterests);
    await this.#connectMedia(chatter);
  }

  /** Another node offers one of its chatters to one of ours, who takes it if still waiting. */
  #accept(request: Extract<NodeRequest, { type: 'pair.offer' }>, from: string): NodeReplyData['pair.offer'] {
    const chatter = this.#parts.chatters.get(request.to);
    if (!chatter || request.from.node !== from || !claim(chatter)) return { accepted: false };
    this.#startSide(chatter, new RemotePartner(request.from, chatter.id, this.#parts.bus, this.#parts.pipes), request.sharedInterests);
    chatter
      .serialize(() => this.#connectMedia(chatter))
      .catch((error: Error) => log.error({ chatter: chatter.id, err: error.message }, 'media connect failed'));
    return { accepted: true, side: this.#sideOf(chatter) };
  }

  /** Another node asks for the media of our chatter, whose partner is there (or is being offered there). */
  async #export(request: Extract<NodeRequest, { type: 'media.export' }>, from: string): Promise<NodeReplyData['media.export']> {
    const chatter = this.#parts.chatters.get(request.chatterId);
    const media = chatter?.media;
    if (!chatter || !media || media.closed) throw new Error('that chatter has no media here');
    if (chatter.partner?.side.node !== from && chatter.offeredTo !== from) throw new Error('that chatter is not paired with a chatter of your node');
    return this.#parts.pipes.exportTo(media.slot.router, media.producers, from, request.toRouterId);
  }

  #startSide(self: Chatter, partner: Partner, sharedTokens: readonly string[]): void {
    this.#parts.metrics.pairingWait.observe((Date.now() - self.searchingSince) / 1000);
    self.state = 'paired';
    self.partner = partner;
    const settings = self.settings;
    const filters = (settings?.countries.length ?? 0) > 0;
    self.connection.send({
      type: 'paired',
      mode: settings?.mode ?? 'text',
      sharedInterests: this.#parts.interests.words(settings?.interests ?? [], sharedTokens),
      ...(filters && partner.side.country ? { partnerCountry: partner.side.country } : {}),
    });
  }

  /** Consumers for the partner's media on the chatter's receive transport; the pair ends if that fails. */
  async #connectMedia(self: Chatter): Promise<void> {
    const partner = self.partner;
    const media = self.media;
    if (!partner || !media || self.settings?.mode !== 'video') return;
    try {
      const imported = await partner.importMedia(media.slot.router);
      if (self.partner !== partner) return;
      const consumers = await media.consume(imported.producerIds, (notice) => {
        if (self.partner === partner) self.connection.send({ type: 'media.layers', ...notice });
      });
      if (self.partner !== partner) {
        media.closeConsumers();
        return;
      }
      self.connection.send({ type: 'media.consume', consumers });
      self.connection.send({ type: 'partner.media', ...imported.live });
    } catch (error) {
      log.error({ chatter: self.id, err: (error as Error).message }, 'consume failed');
      if (self.partner !== partner) return;
      this.unpair(self, 'media_failure');
      self.connection.send({ type: 'partner.left', reason: 'media_failure' });
      return;
    }
    this.#parts.moderator?.paired(self);
  }

  /** This side of a pair is over: consumers closed, idle, and the partner reportable for a while. */
  #endSide(chatter: Chatter): void {
    const partner = chatter.partner;
    chatter.partner = undefined;
    chatter.media?.closeConsumers();
    chatter.state = 'idle';
    this.#parts.moderator?.unpaired(chatter.id);
    if (partner) chatter.lastPartner = { ...partner.side, until: Date.now() + REPORT_GRACE_MS };
  }

  #sideOf(chatter: Chatter): PairSide {
    return { id: chatter.id, node: this.#parts.nodeId, ipHash: chatter.ipHash, country: chatter.country };
  }

  #withChatter(id: string, act: (chatter: Chatter) => void): void {
    const chatter = this.#parts.chatters.get(id);
    if (chatter) act(chatter);
  }
}

/** Takes a waiting chatter for a pair (false when it is gone or no longer waiting). */
function claim(chatter: Chatter): boolean {
  if (chatter.gone || chatter.state !== 'waiting') return false;
  chatter.state = 'paired';
  return true;
}
