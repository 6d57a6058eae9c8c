import type { Redis } from 'ioredis';
import { logger } from '../logging/logger.js';
import {
  MAX_NODE_MESSAGE_BYTES,
  nodeEnvelopeSchema,
  nodeReplyDataSchemas,
  type NodeEnvelope,
  type NodeEvent,
  type NodeEventType,
  type NodeReplyData,
  type NodeRequest,
  type NodeRequestType,
} from '../protocol/node-messages.js';

const log = logger('node-bus');
const CHANNEL_PREFIX = 'veil:bus:';

/** The Redis channel a node listens on. */
export function nodeChannel(nodeId: string): string {
  return CHANNEL_PREFIX + nodeId;
}

/** A request to another node failed: nobody listens there, it said no, or it did not answer in time. */
export class NodeRequestError extends Error {
  override name = 'NodeRequestError';
  constructor(
    readonly reason: 'unreachable' | 'timeout' | 'refused' | 'bad_reply',
    message: string,
  ) {
    super(message);
  }
}

type EventHandlers = { [K in NodeEventType]?: (event: Extract<NodeEvent, { type: K }>, from: string) => void };
type RequestHandlers = { [K in NodeRequestType]?: (request: Extract<NodeRequest, { type: K }>, from: string) => Promise<NodeReplyData[K]> };

interface Pending {
  type: NodeRequestType;
  to: string;
  resolve: (data: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface NodeBusOptions {
  nodeId: string;
  /** A request not answered within this long fails with reason "timeout". */
  requestTimeoutMs: number;
}

/**
 * Messages between nodes over Redis pub/sub: each node subscribes to its own channel and publishes
 * on the others'. Delivery is at most once (pub/sub keeps nothing for a node that is not
 * listening); every caller therefore has a deadline and a fallback. Inbound bytes are validated
 * with the node protocol's schemas; a bad message is logged and dropped.
 */
export class NodeBus {
  readonly nodeId: string;
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #timeoutMs: number;
  readonly #events: EventHandlers = {};
  readonly #requests: RequestHandlers = {};
  readonly #pending = new Map<number, Pending>();
  #nextRequestId = 1;
  #closed = false;

  private constructor(publisher: Redis, subscriber: Redis, options: NodeBusOptions) {
    this.nodeId = options.nodeId;
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#timeoutMs = options.requestTimeoutMs;
  }

  /** Subscribes to this node's channel on a dedicated connection (a subscribed client can do nothing else). */
  static async create(redis: Redis, options: NodeBusOptions): Promise<NodeBus> {
    const subscriber = redis.duplicate();
    const bus = new NodeBus(redis, subscriber, options);
    subscriber.on('messageBuffer', (_channel: Buffer, payload: Buffer) => bus.#onPayload(payload));
    subscriber.on('error', (error: Error) => log.warn({ err: error.message }, 'subscriber connection error'));
    try {
      await subscriber.subscribe(nodeChannel(options.nodeId));
    } catch (error) {
      subscriber.disconnect();
      throw error;
    }
    return bus;
  }

  onEvent<K extends NodeEventType>(type: K, handler: NonNullable<EventHandlers[K]>): void {
    (this.#events as Record<K, typeof handler>)[type] = handler;
  }

  onRequest<K extends NodeRequestType>(type: K, handler: NonNullable<RequestHandlers[K]>): void {
    (this.#requests as Record<K, typeof handler>)[type] = handler;
  }

  /** Publishes an event to a node; false when no one listens there (the node is gone). Never throws. */
  async send(to: string, event: NodeEvent): Promise<boolean> {
    return this.#publish(to, { kind: 'event', from: this.nodeId, event }).then(
      (listeners) => listeners > 0,
      (error: Error) => {
        log.warn({ to, type: event.type, err: error.message }, 'event not sent');
        return false;
      },
    );
  }

  /** Asks a node and waits for its answer, validated; throws NodeRequestError when there is none. */
  async request<K extends NodeRequestType>(to: string, request: Extract<NodeRequest, { type: K }>): Promise<NodeReplyData[K]> {
    if (this.#closed) throw new NodeRequestError('unreachable', 'this node is shutting down');
    const requestId = this.#nextRequestId++;
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(requestId);
        reject(new NodeRequestError('timeout', `node ${to} did not answer ${request.type} within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(requestId, { type: request.type, to, resolve, reject, timer });
    });
    const listeners = await this.#publish(to, { kind: 'request', from: this.nodeId, requestId, request }).catch((error: Error) => {
      this.#settle(requestId, new NodeRequestError('unreachable', `cannot publish to node ${to}: ${error.message}`));
      return 1;
    });
    if (listeners === 0) this.#settle(requestId, new NodeRequestError('unreachable', `node ${to} is not listening`));
    return (await answer) as NodeReplyData[K];
  }

  async #publish(to: string, envelope: NodeEnvelope): Promise<number> {
    return this.#publisher.publish(nodeChannel(to), JSON.stringify(envelope));
  }

  #settle(requestId: number, outcome: Error | { data: unknown }): void {
    const pending = this.#pending.get(requestId);
    if (!pending) return;
    this.#pending.delete(requestId);
    clearTimeout(pending.timer);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome.data);
  }

  #onPayload(payload: Buffer): void {
    if (payload.length > MAX_NODE_MESSAGE_BYTES) {
      log.warn({ bytes: payload.length }, 'oversized node message dropped');
      return;
    }
    let parsed;
    try {
      parsed = nodeEnvelopeSchema.safeParse(JSON.parse(payload.toString('utf8')));
    } catch {
      log.warn('node message is not JSON; dropped');
      return;
    }
    if (!parsed.success) {
      log.warn({ issue: parsed.error.issues[0]?.message, path: parsed.error.issues[0]?.path.join('.') }, 'malformed node message dropped');
      return;
    }
    this.#dispatch(parsed.data);
  }

  #dispatch(envelope: NodeEnvelope): void {
    switch (envelope.kind) {
      case 'event': {
        const handler = this.#events[envelope.event.type] as ((event: NodeEvent, from: string) => void) | undefined;
        try {
          handler?.(envelope.event, envelope.from);
        } catch (error) {
          log.error({ type: envelope.event.type, err: (error as Error).message }, 'node event handler failed');
        }
        return;
      }
      case 'request':
        void this.#answer(envelope.from, envelope.requestId, envelope.request);
        return;
      case 'reply':
        this.#onReply(envelope);
        return;
      default:
        envelope satisfies never;
    }
  }

  async #answer(from: string, requestId: number, request: NodeRequest): Promise<void> {
    const handler = this.#requests[request.type] as ((request: NodeRequest, from: string) => Promise<unknown>) | undefined;
    let reply: NodeEnvelope;
    try {
      if (!handler) throw new Error(`this node does not handle ${request.type}`);
      reply = { kind: 'reply', from: this.nodeId, requestId, ok: true, data: await handler(request, from) };
    } catch (error) {
      reply = { kind: 'reply', from: this.nodeId, requestId, ok: false, error: (error as Error).message.slice(0, 500) };
    }
    await this.#publish(from, reply).catch((error: Error) => log.warn({ to: from, err: error.message }, 'reply not sent'));
  }

  #onReply(envelope: Extract<NodeEnvelope, { kind: 'reply' }>): void {
    const pending = this.#pending.get(envelope.requestId);
    if (pending?.to !== envelope.from) return;
    if (!envelope.ok) {
      this.#settle(envelope.requestId, new NodeRequestError('refused', `node ${envelope.from} refused ${pending.type}: ${envelope.error ?? 'no reason'}`));
      return;
    }
    const data = nodeReplyDataSchemas[pending.type].safeParse(envelope.data);
    this.#settle(
      envelope.requestId,
      data.success ? { data: data.data } : new NodeRequestError('bad_reply', `node ${envelope.from} gave a malformed ${pending.type} reply`),
    );
  }

  /** Stops listening; pending requests fail at once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const id of [...this.#pending.keys()]) this.#settle(id, new NodeRequestError('unreachable', 'this node is shutting down'));
    await this.#subscriber.quit().catch(() => this.#subscriber.disconnect());
  }
}
