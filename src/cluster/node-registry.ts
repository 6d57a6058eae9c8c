import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { logger } from '../logging/logger.js';

const log = logger('node-registry');

/** Key prefix of node entries; the matchmaker's script checks `<prefix><node>` to skip dead nodes' tickets. */
export const NODE_KEY_PREFIX = 'veil:node:';

export const NODE_STATES = ['serving', 'draining'] as const;
export type NodeState = (typeof NODE_STATES)[number];

/** What a node says about itself in Redis. No chatter's data: only the node's own addresses and load. */
export interface NodeInfo {
  id: string;
  /** Random per process: a node restarted under the same id is a new node to its peers. */
  boot: string;
  state: NodeState;
  /** Address browsers get in ICE candidates. */
  announcedIp: string;
  /** Address other nodes open media pipes to. */
  internalIp: string;
  chatters: number;
  workers: number;
  /** ms epoch of the last heartbeat. */
  heartbeatAt: number;
}

const nodeInfoSchema = z.object({
  id: z.string().min(1),
  boot: z.string().min(1),
  state: z.enum(NODE_STATES),
  announcedIp: z.string(),
  internalIp: z.string(),
  chatters: z.coerce.number().int().nonnegative(),
  workers: z.coerce.number().int().nonnegative(),
  heartbeatAt: z.coerce.number().int().nonnegative(),
});

export interface NodeRegistryOptions {
  /** Heartbeat interval. */
  heartbeatMs: number;
  /** A node whose last heartbeat is older than this counts as gone (its key expires then, too). */
  goneAfterMs: number;
}

interface NodeRegistryEvents {
  /** A node seen alive earlier is gone (no heartbeat within goneAfterMs, or withdrawn). */
  nodegone: [nodeId: string];
}

/**
 * Which nodes alive at the last look (id -> boot) are gone now: missing, or back under a new boot
 * (a restart loses every chatter and pipe the old process had).
 */
export function goneNodes(known: ReadonlyMap<string, string>, alive: ReadonlyMap<string, string>, self: string): string[] {
  return [...known].filter(([id, boot]) => id !== self && alive.get(id) !== boot).map(([id]) => id);
}

/**
 * This node's entry in Redis (a hash that expires unless the heartbeat refreshes it), and the view
 * of the others: which are alive, and a `nodegone` event for each that stops beating.
 */
export class NodeRegistry extends EventEmitter<NodeRegistryEvents> {
  readonly #redis: Redis;
  readonly #self: () => Omit<NodeInfo, 'heartbeatAt'>;
  readonly #options: NodeRegistryOptions;
  #known = new Map<string, string>();
  #onlineTotal = 0;
  /** When the last failed heartbeat was followed by a good one (0: none failed). */
  #recoveredAt = 0;
  #failing = false;
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;

  private constructor(redis: Redis, self: () => Omit<NodeInfo, 'heartbeatAt'>, options: NodeRegistryOptions) {
    super();
    this.#redis = redis;
    this.#self = self;
    this.#options = options;
  }

  /**
   * Registers this node (the first heartbeat) and keeps beating until close(). Refuses an id that
   * another running node holds: two processes under one id overwrite each other's entry and
   * neither can be paired with.
   */
  static async create(redis: Redis, self: () => Omit<NodeInfo, 'heartbeatAt'>, options: NodeRegistryOptions): Promise<NodeRegistry> {
    const registry = new NodeRegistry(redis, self, options);
    await registry.#refuseHeldId();
    await registry.beat();
    registry.#timer = setInterval(() => {
      registry.#beating ??= registry.beat().finally(() => (registry.#beating = undefined));
    }, options.heartbeatMs);
    registry.#timer.unref();
    return registry;
  }

  /**
   * An entry under this id with another boot is either a process that just died (its entry stays
   * until it expires) or one still running, which refreshes it within a heartbeat: look twice.
   */
  async #refuseHeldId(): Promise<void> {
    const { id, boot } = this.#self();
    const read = async (): Promise<NodeInfo | null> => {
      const parsed = nodeInfoSchema.safeParse(await this.#redis.hgetall(NODE_KEY_PREFIX + id).catch(() => ({})));
      return parsed.success && parsed.data.boot !== boot ? parsed.data : null;
    };
    const first = await read();
    if (first === null) return;
    await delay(this.#options.heartbeatMs * 1.5);
    const second = await read();
    if (second !== null && second.boot === first.boot && second.heartbeatAt > first.heartbeatAt) {
      throw new Error(
        `node id "${id}" is in use by another running node (its heartbeat is live in Redis): give each node its own VEIL_NODE_ID, or its own VEIL_DATA_DIR, where a generated id is kept`,
      );
    }
  }

  get nodeId(): string {
    return this.#self().id;
  }

  /** Writes this node's entry and looks for nodes that went away. Errors are logged (Redis may be down). */
  async beat(): Promise<void> {
    try {
      const info = { ...this.#self(), heartbeatAt: Date.now() };
      const key = NODE_KEY_PREFIX + info.id;
      await this.#redis
        .multi()
        .hset(key, Object.fromEntries(Object.entries(info).map(([field, value]) => [field, String(value)])))
        .pexpire(key, this.#options.goneAfterMs)
        .exec();
      const nodes = await this.list();
      this.#onlineTotal = nodes.reduce((sum, node) => sum + node.chatters, 0);
      const alive = new Map(nodes.map((node) => [node.id, node.boot]));
      if (this.#failing) {
        this.#failing = false;
        this.#recoveredAt = Date.now();
      }
      // Right after Redis comes back every node's entry may have expired: give them time to beat again.
      const settled = Date.now() - this.#recoveredAt >= this.#options.goneAfterMs;
      const gone = settled ? goneNodes(this.#known, alive, info.id) : [];
      for (const id of gone) {
        log.warn({ node: id }, 'node gone');
        this.emit('nodegone', id);
      }
      this.#known = settled ? alive : new Map([...this.#known, ...alive]);
    } catch (error) {
      this.#failing = true;
      log.warn({ err: (error as Error).message }, 'heartbeat failed');
    }
  }

  /** Chatters on every live node, as of the last heartbeat ("N online now"). */
  get onlineTotal(): number {
    return this.#onlineTotal;
  }

  /** Every node with a live entry, this one included. */
  async list(): Promise<NodeInfo[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.#redis.scan(cursor, 'MATCH', `${NODE_KEY_PREFIX}*`, 'COUNT', 100);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    const nodes: NodeInfo[] = [];
    for (const key of keys) {
      const parsed = nodeInfoSchema.safeParse(await this.#redis.hgetall(key));
      if (parsed.success) nodes.push(parsed.data);
    }
    const now = Date.now();
    return nodes.filter((node) => now - node.heartbeatAt <= this.#options.goneAfterMs);
  }

  /** Stops beating and removes this node's entry, so the others see it gone at their next beat. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#beating;
    await this.#redis.del(NODE_KEY_PREFIX + this.nodeId).catch(() => undefined);
  }
}
