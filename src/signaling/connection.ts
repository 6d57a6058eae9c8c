import { EventEmitter } from 'node:events';
import type { WebSocket, RawData } from 'ws';
import {
  clientMessageSchema,
  type ClientMessage,
  CLOSE_CODES,
  type CloseReason,
  type ErrorCode,
  type ResponseData,
  type ServerMessage,
} from '../protocol/messages.js';
import { admit, FloodGuard, TokenBucket } from '../edge/rate-limit.js';
import { closeKindOf, type CloseKind } from '../lobby/resume-rules.js';
import { heartbeatVerdict } from './heartbeat.js';

/** The close code of a socket that ended without a close frame (network gone, or terminated after missed pings). */

export interface ConnectionOptions {
  messagesPerSecond: number;
  messageBurst: number;
  heartbeatIntervalMs: number;
  /** Sends `alive` after this long without any other frame, so a page can tell a dead socket (see docs/resume.md). */
  aliveIntervalMs: number;
  /** Told of every error code sent and every close reason (for metrics). */
  onSignal?: (event: { error: ErrorCode } | { closed: CloseReason }) => void;
}

export type ConnectionEvents = {
  /** A well-formed, schema-valid message within the rate limit. */
  message: [ClientMessage];
  /** The socket is gone (closed by either side, or missed heartbeats). Emitted once. */
  close: [];
};

/**
 * One browser's WebSocket: parses and validates every frame at the edge, answers malformed ones
 * with an error naming what was wrong, enforces the rate limit, and detects dead peers with
 * ping/pong. Everything past this point works with typed ClientMessages.
 */
export class Connection extends EventEmitter<ConnectionEvents> {
  readonly #ws: WebSocket;
  readonly #bucket: TokenBucket;
  readonly #guard = new FloodGuard();
  readonly #heartbeat: NodeJS.Timeout;
  readonly #aliveTimer: NodeJS.Timeout;
  readonly #aliveEveryMs: number;
  #sentSinceAliveTick = false;
  readonly #onSignal: ConnectionOptions['onSignal'];
  #alive = true;
  #closed = false;
  #closedByServer = false;
  #closeKind: CloseKind | undefined;

  constructor(ws: WebSocket, options: ConnectionOptions) {
    super();
    this.#ws = ws;
    this.#onSignal = options.onSignal;
    this.#bucket = new TokenBucket({ ratePerSecond: options.messagesPerSecond, burst: options.messageBurst });
    ws.on('message', (data, isBinary) => this.#onFrame(data, isBinary));
    ws.on('pong', () => {
      this.#alive = true;
    });
    ws.once('close', (code) => this.#onClose(code));
    ws.on('error', () => ws.terminate());
    let lastTick = performance.now();
    this.#heartbeat = setInterval(() => {
      const now = performance.now();
      const verdict = heartbeatVerdict({ ponged: this.#alive, sinceLastTickMs: now - lastTick, intervalMs: options.heartbeatIntervalMs });
      lastTick = now;
      if (verdict === 'terminate') {
        ws.terminate();
        return;
      }
      this.#alive = false;
      ws.ping();
    }, options.heartbeatIntervalMs);
    this.#aliveEveryMs = options.aliveIntervalMs;
    this.#aliveTimer = setInterval(() => {
      if (!this.#sentSinceAliveTick) this.send({ type: 'alive' });
      this.#sentSinceAliveTick = false;
    }, options.aliveIntervalMs);
  }

  /** How often the page hears from this socket at the least (told in `welcome`). */
  get aliveEveryMs(): number {
    return this.#aliveEveryMs;
  }

  send(message: ServerMessage): void {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) return;
    if (message.type === 'error' || (message.type === 'response' && !message.ok)) this.#onSignal?.({ error: message.error.code });
    this.#ws.send(JSON.stringify(message));
    this.#sentSinceAliveTick = true;
  }

  reply<T extends keyof ResponseData>(id: number, _type: T, data: ResponseData[T]): void {
    this.send(data === undefined ? { type: 'response', id, ok: true } : { type: 'response', id, ok: true, data });
  }

  replyError(id: number, code: ErrorCode, message: string): void {
    this.send({ type: 'response', id, ok: false, error: { code, message } });
  }

  /** Tells the browser why, then closes the socket. */
  closeWith(reason: CloseReason, message: string): void {
    // Once closing, later floods or errors must not close (or count) it again.
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) return;
    this.#closedByServer = true;
    this.#onSignal?.({ closed: reason });
    this.send({ type: 'closing', reason, message });
    this.#ws.close(CLOSE_CODES[reason], reason);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** How the socket ended, once it has. */
  get closeKind(): CloseKind | undefined {
    return this.#closeKind;
  }

  #onFrame(data: RawData, isBinary: boolean): void {
    const verdict = admit(this.#bucket, this.#guard);
    if (verdict === 'disconnect') {
      this.closeWith('flooding', 'Too many messages: you have been disconnected.');
      return;
    }
    if (isBinary) {
      this.send({ type: 'error', error: { code: 'bad_message', message: 'binary frames are not accepted; send JSON text' } });
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(rawToString(data));
    } catch {
      this.send({ type: 'error', error: { code: 'bad_json', message: 'the frame is not valid JSON' } });
      return;
    }
    if (verdict === 'rate_limited') {
      const id = requestId(json);
      const message = 'too many messages; slow down';
      if (id === undefined) this.send({ type: 'error', error: { code: 'rate_limited', message } });
      else this.replyError(id, 'rate_limited', message);
      return;
    }
    const parsed = clientMessageSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      const message = `${where}${issue?.message ?? 'invalid message'}`;
      const id = requestId(json);
      if (id === undefined) this.send({ type: 'error', error: { code: 'bad_message', message } });
      else this.replyError(id, 'bad_message', message);
      return;
    }
    this.emit('message', parsed.data);
  }

  #onClose(code: number): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeKind = closeKindOf(code, this.#closedByServer);
    clearInterval(this.#heartbeat);
    clearInterval(this.#aliveTimer);
    this.emit('close');
  }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

function requestId(json: unknown): number | undefined {
  if (typeof json !== 'object' || json === null || !('id' in json)) return undefined;
  const id = json.id;
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : undefined;
}
