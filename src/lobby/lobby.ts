import { banMessage, type BanStore } from '../bans/ban-store.js';
import type { NodeBus } from '../cluster/node-bus.js';
import type { Matchmaker } from '../matching/matchmaker.js';
import type { Metrics } from '../metrics/metrics.js';
import type { LayerPreference } from '../media/frame-rate-guard.js';
import type { NodePipes } from '../media/node-pipes.js';
import type { WorkerPool } from '../media/worker-pool.js';
import { logger } from '../logging/logger.js';
import { assertUnreachable, MAX_CHAT_LENGTH, type ClientMessage, type PartnerLeftReason, type SenderSettings } from '../protocol/messages.js';
import type { ReportStore } from '../reports/report-store.js';
import type { Moderator } from '../moderation/moderator.js';
import type { Connection } from '../signaling/connection.js';
import type { Visitor } from '../signaling/ws-server.js';
import { allowedIn, wrongStateMessage } from './chatter-state.js';
import { Chatter } from './chatter.js';
import { mediaCapabilities, mediaConnect, mediaPause, mediaProduce, mediaReady, mediaTransports } from './media-requests.js';
import { InterestTokens } from './interest-tokens.js';
import { Pairing } from './pairing.js';
import { Reporting } from './reporting.js';
import { firstRetryAt, WaitingRetries } from './waiting-retries.js';
import { RequestError } from './request-error.js';
import { Suspensions } from './suspensions.js';
import { SocketOwners } from './socket-owners.js';
import { enforce } from './enforcement.js';
import { resetAfterSlotLoss } from './slot-loss.js';

const log = logger('lobby');
const DRAINING = 'This server is being taken out of service. Reconnecting you to another one…';

export interface LobbyOptions {
  /** How browsers are told to send: simulcast layers or not, and the Opus frame length (config `simulcast`, `opusPtimeMs`). */
  sending: SenderSettings;
  /** What a partner consumer on a narrow link keeps: frame rate or resolution (config `simulcastPrefer`). */
  simulcastPrefer: LayerPreference;
  /** A waiting chatter is asked about again this often (a new arrival finds them anyway). */
  matchRetryMs: number;
  /** A waiting chatter with interests is asked about again once this has passed. */
  interestFallbackMs: number;
  /** Key for the interest tokens stored in the matchmaker. */
  interestKey: string;
  /**
   * A waiting chatter whose ticket has been missing this long is queued again (longer than a pair
   * offer between nodes may take, during which the ticket is gone too).
   */
  ticketLossMs: number;
  /** A chatter whose socket drops mid-chat is kept this long for its browser to resume it; 0: off. */
  resumeGraceMs: number;
}

/** What the lobby works with. */
export interface LobbyParts {
  matchmaker: Matchmaker;
  pool: WorkerPool;
  reports: ReportStore;
  bans: BanStore;
  /** Live-video moderation; null when it is turned off. */
  moderator: Moderator | null;
  /** This node among the others: its id, the channel between nodes, and media pipes to them. */
  node: { id: string; bus: NodeBus; pipes: NodePipes };
  metrics: Metrics;
}

/**
 * Everyone connected to this node: dispatches their requests, queues them in the matchmaker,
 * pairs them (media consumers both ways), relays chat, and takes them apart on Next, Stop, Report,
 * disconnect or a media worker's death.
 */
export class Lobby {
  readonly #chatters = new Map<string, Chatter>();
  readonly #owners = new SocketOwners();
  readonly #suspensions: Suspensions;
  readonly #matchmaker: Matchmaker;
  readonly #pool: WorkerPool;
  readonly #reporting: Reporting;
  readonly #bans: BanStore;
  readonly #moderator: Moderator | null;
  readonly #pairing: Pairing;
  readonly #metrics: Metrics;
  readonly #retries: WaitingRetries;
  readonly #interests: InterestTokens;
  readonly #retryMs: number;
  readonly #fallbackMs: number;
  readonly #sending: SenderSettings;
  readonly #simulcastPrefer: LayerPreference;
  #online = 0;
  /** Set while draining: called when a chatter leaves, to notice an empty node. */
  #onLeft: (() => void) | undefined;

  constructor(parts: LobbyParts, options: LobbyOptions) {
    this.#matchmaker = parts.matchmaker;
    this.#pool = parts.pool;
    this.#bans = parts.bans;
    this.#moderator = parts.moderator;
    this.#metrics = parts.metrics;
    this.#interests = new InterestTokens(options.interestKey);
    this.#pairing = new Pairing({
      nodeId: parts.node.id,
      bus: parts.node.bus,
      pipes: parts.node.pipes,
      chatters: this.#chatters,
      matchmaker: parts.matchmaker,
      moderator: parts.moderator,
      interests: this.#interests,
      metrics: parts.metrics,
      requeue: (chatter) => this.#enqueue(chatter),
    });
    this.#reporting = new Reporting({
      nodeId: parts.node.id,
      bus: parts.node.bus,
      chatters: this.#chatters,
      reports: parts.reports,
      moderator: parts.moderator,
      pairing: this.#pairing,
    });
    this.#retryMs = options.matchRetryMs;
    this.#fallbackMs = options.interestFallbackMs;
    this.#sending = options.sending;
    this.#simulcastPrefer = options.simulcastPrefer;
    this.#retries = new WaitingRetries(
      { chatters: this.#chatters, matchmaker: parts.matchmaker, pairing: this.#pairing, metrics: parts.metrics, requeue: (chatter) => this.#enqueue(chatter) },
      { retryMs: options.matchRetryMs, ticketLossMs: options.ticketLossMs },
    );
    this.#suspensions = new Suspensions({ nodeId: parts.node.id, graceMs: options.resumeGraceMs, leave: (chatter) => this.#leave(chatter) });
    const slotLossParts = { chatters: this.#chatters, pool: this.#pool, pairing: this.#pairing, matchmaker: this.#matchmaker };
    this.#pool.on('slotlost', (slot) => resetAfterSlotLoss(slotLossParts, slot));
    const enforcementParts = { chatters: this.#chatters, matchmaker: this.#matchmaker, pairing: this.#pairing, suspensions: this.#suspensions };
    this.#moderator?.on('action', (action) => enforce(enforcementParts, action));
  }

  get size(): number {
    return this.#chatters.size;
  }

  /** This node's chatters, for metrics (read at scrape time). */
  get chatters(): Iterable<Chatter> {
    return this.#chatters.values();
  }

  /** Chatters online across all nodes, as of the last registry heartbeat (at least this node's). */
  get online(): number {
    return Math.max(this.#online, this.size);
  }

  /**
   * Admits a new connection; the chatter lives until the socket closes. A banned address hash is
   * told why and disconnected before any of its requests is handled.
   */
  admit(connection: Connection, visitor: Visitor): Chatter {
    const chatter = new Chatter(connection, visitor);
    this.#chatters.set(chatter.id, chatter);
    this.#owners.set(connection, chatter);
    if (this.#onLeft) {
      connection.closeWith('server_shutdown', DRAINING);
      this.#chatters.delete(chatter.id);
      return chatter;
    }
    void chatter.serialize(async () => {
      if (await this.#turnedAway(chatter)) return;
      connection.send({
        type: 'welcome',
        online: this.online,
        maxChatLength: MAX_CHAT_LENGTH,
        aliveEveryMs: connection.aliveEveryMs,
        ...this.#suspensions.welcome(chatter),
      });
    });
    connection.on('message', (message) => {
      const current = this.#owners.of(connection);
      if (current) void current.serialize(() => this.#dispatch(current, message));
    });
    connection.once('close', () => {
      const current = this.#owners.of(connection);
      const closed = current?.serialize(async () => {
        if (!this.#suspensions.suspend(current, this.#onLeft !== undefined)) await this.#leave(current);
      });
      closed?.catch((error: Error) => log.error({ chatter: current?.id, err: error.message }, 'leave failed'));
    });
    return chatter;
  }

  /** Another node went away: partners there are gone, and so are the pipes to it. */
  nodeGone(nodeId: string): void {
    this.#pairing.nodeGone(nodeId);
  }

  /** Tells everyone how many are online across all nodes. */
  broadcast(count: number): void {
    this.#online = count;
    for (const chatter of this.#chatters.values()) chatter.connection.send({ type: 'online', count });
  }

  async #dispatch(chatter: Chatter, message: ClientMessage): Promise<void> {
    if (chatter.gone) return;
    this.#metrics.wsMessages.inc({ type: message.type });
    if (!allowedIn(message.type, chatter.state)) {
      chatter.connection.replyError(message.id, 'wrong_state', wrongStateMessage(message.type, chatter.state));
      return;
    }
    const reply = chatter.connection;
    try {
      switch (message.type) {
        case 'start':
          if (message.mode === 'video' && !chatter.media?.producing) {
            throw new RequestError('wrong_state', 'video chat needs your camera first: set up media and produce, or use text only');
          }
          chatter.settings = { mode: message.mode, interests: message.interests, countries: message.countries };
          reply.reply(message.id, 'start', undefined);
          await this.#enqueue(chatter);
          return;
        case 'next':
          reply.reply(message.id, 'next', undefined);
          await this.#endPairOrWait(chatter, 'next');
          await this.#enqueue(chatter);
          return;
        case 'stop':
          reply.reply(message.id, 'stop', undefined);
          await this.#endPairOrWait(chatter, 'stop');
          return;
        case 'chat':
          this.#relayChat(chatter, message.id, message.text);
          return;
        case 'typing':
          chatter.partner?.relay({ type: 'typing', typing: message.typing });
          reply.reply(message.id, 'typing', undefined);
          return;
        case 'report':
          await this.#reporting.report(chatter, message.id, message.reason);
          return;
        case 'media.capabilities':
          reply.reply(message.id, message.type, await mediaCapabilities(this.#pool, this.#sending));
          return;
        case 'media.transports':
          reply.reply(message.id, message.type, await mediaTransports(chatter, this.#pool, message, this.#simulcastPrefer));
          return;
        case 'media.connect':
          await mediaConnect(chatter, message);
          reply.reply(message.id, message.type, undefined);
          return;
        case 'media.produce':
          reply.reply(message.id, message.type, await mediaProduce(chatter, message));
          return;
        case 'media.pause':
          await mediaPause(chatter, message);
          reply.reply(message.id, message.type, undefined);
          return;
        case 'media.ready':
          await mediaReady(chatter, message);
          reply.reply(message.id, message.type, undefined);
          return;
        case 'resume': {
          const resumed = await this.#suspensions.resume(chatter, message.id, message.token);
          this.#owners.set(reply, resumed);
          if (resumed !== chatter) this.#chatters.delete(chatter.id);
          return;
        }
        default:
          assertUnreachable(message);
      }
    } catch (error) {
      if (error instanceof RequestError) {
        reply.replyError(message.id, error.code, error.message);
        return;
      }
      log.error({ chatter: chatter.id, type: message.type, err: (error as Error).message }, 'request failed');
      reply.replyError(message.id, 'internal', 'the server could not complete that request');
    }
  }

  /** Disconnects the chatter with the reason when its address hash is banned. */
  async #turnedAway(chatter: Chatter): Promise<boolean> {
    const ban = await this.#bans.get(chatter.ipHash).catch((error: Error) => {
      log.error({ err: error.message }, 'ban lookup failed; letting the chatter in');
      return null;
    });
    if (!ban) return false;
    chatter.connection.closeWith('banned', banMessage(ban));
    return true;
  }

  async #enqueue(chatter: Chatter): Promise<void> {
    const settings = chatter.settings;
    if (!settings || chatter.gone) return;
    if (this.#onLeft) {
      // Draining: the browser reconnects through the front door and searches on another node.
      chatter.state = 'idle';
      chatter.connection.closeWith('server_shutdown', DRAINING);
      return;
    }
    if (await this.#turnedAway(chatter)) return;
    if (chatter.state !== 'waiting') chatter.searchingSince = Date.now();
    chatter.ticketMissingSince = 0;
    chatter.state = 'waiting';
    chatter.nextRetryAt = firstRetryAt(Date.now(), settings.interests.length > 0, this.#fallbackMs, this.#retryMs);
    chatter.connection.send({ type: 'waiting' });
    const ticket = {
      sessionId: chatter.id,
      mode: settings.mode,
      interests: this.#interests.tokens(settings.interests),
      countries: settings.countries,
      country: chatter.country,
    };
    const match = await this.#matchmaker.enqueue(ticket, Date.now()).catch((error: Error) => {
      // Redis is away: the chatter stays waiting, and its next retry finds no ticket and queues it again.
      log.warn({ chatter: chatter.id, err: error.message }, 'queueing failed; trying again later');
      chatter.nextRetryAt = Date.now() + this.#retryMs;
      // Known to have no ticket: queue it again at the first retry that reaches Redis.
      chatter.ticketMissingSince = 1;
      return null;
    });
    if (match) await this.#pairing.pair(chatter, match);
  }

  /** Ends the chatter's pair (the partner is told why) or takes it out of the queue. */
  async #endPairOrWait(chatter: Chatter, reason: PartnerLeftReason): Promise<void> {
    if (chatter.state === 'waiting') await this.#matchmaker.leave(chatter.id);
    if (chatter.state === 'paired') this.#pairing.unpair(chatter, reason);
    chatter.state = 'idle';
  }

  #relayChat(chatter: Chatter, id: number, text: string): void {
    const verdict = chatter.chatFilter.check(text);
    if (verdict.action === 'block') {
      chatter.connection.replyError(id, 'chat_blocked', verdict.warning);
      return;
    }
    chatter.partner?.relay({ type: 'chat', text: verdict.text });
    chatter.connection.reply(id, 'chat', { text: verdict.text });
    if (verdict.action === 'censor') chatter.connection.send({ type: 'chat.warning', message: verdict.warning });
  }

  async #leave(chatter: Chatter): Promise<void> {
    try {
      await this.#endPairOrWait(chatter, 'disconnected');
    } finally {
      this.#suspensions.forget(chatter);
      this.#moderator?.left(chatter.id);
      chatter.media?.close();
      this.#chatters.delete(chatter.id);
      this.#onLeft?.();
    }
  }

  /**
   * Takes the node out of service: no one new is admitted or queued here, waiting and idle chatters
   * are sent to reconnect (through the front door, to another node) at once, and chats in progress
   * go on until they end or `deadlineMs` passes; then everyone left is sent away. Resolves when the
   * node is empty or the deadline has passed.
   */
  drain(deadlineMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        for (const chatter of this.#chatters.values()) chatter.connection.closeWith('server_shutdown', DRAINING);
        resolve();
      }, deadlineMs);
      this.#onLeft = () => {
        if (this.#chatters.size > 0) return;
        clearTimeout(timer);
        resolve();
      };
      for (const chatter of this.#chatters.values()) {
        const sendAway = chatter.serialize(async () => {
          if (chatter.gone || chatter.state === 'paired') return;
          if (chatter.state === 'waiting') await this.#matchmaker.leave(chatter.id);
          chatter.state = 'idle';
          chatter.connection.closeWith('server_shutdown', DRAINING);
        });
        sendAway.catch((error: Error) => log.warn({ chatter: chatter.id, err: error.message }, 'drain: sending a chatter away failed'));
      }
      this.#onLeft();
    });
  }

  /** Tells everyone the server is going away, and stops matching. */
  close(): void {
    this.#retries.close();
    this.#suspensions.close();
    for (const chatter of this.#chatters.values()) {
      chatter.connection.closeWith('server_shutdown', 'The server is restarting. Reconnect in a moment.');
    }
  }
}
