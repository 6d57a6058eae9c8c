/**
 * A bot's signaling connection: the browser client's request/response discipline (an increasing
 * id, one typed answer per request, pushes as events) over the `ws` package instead of the
 * browser's WebSocket, with the client's own frame reader and error classes. No reconnection: a
 * bot whose socket closes is done, and counted as such.
 */
import { EventEmitter } from 'node:events';
import { WebSocket } from 'ws';
import type { ClientMessageType, ResponseData } from '../../src/protocol/messages.js';
import { ConnectionLostError, RequestError, RequestTimeoutError } from '../../client/src/errors.js';
import { parseServerMessage } from '../../client/src/server-messages.js';
import type { Push, RequestBody, Requester } from '../../client/src/signaling.js';

interface Pending {
  resolve: (data: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class BotSignaling extends EventEmitter<{ push: [Push]; closed: [] }> implements Requester {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, Pending>();
  readonly #timeoutMs: number;
  #nextId = 1;

  private constructor(socket: WebSocket, timeoutMs: number) {
    super();
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
    socket.on('message', (data, isBinary) => this.#onFrame(!isBinary && Buffer.isBuffer(data) ? data.toString('utf8') : null));
    socket.on('close', () => this.#onClose());
  }

  /** Opens `ws://host/ws` with the Origin a page of that host would send, and waits for `welcome`. */
  static async create(origin: string, timeoutMs = 15_000): Promise<BotSignaling> {
    const socket = new WebSocket(`${origin.replace(/^http/, 'ws')}/ws`, { origin });
    const signaling = new BotSignaling(socket, timeoutMs);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new RequestTimeoutError(`no welcome from ${origin} in ${timeoutMs} ms`)), timeoutMs);
      signaling.on('push', (message) => {
        if (message.type !== 'welcome') return;
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    return signaling;
  }

  get open(): boolean {
    return this.#socket.readyState === WebSocket.OPEN;
  }

  request<K extends ClientMessageType>(type: K, body: RequestBody<K>): Promise<ResponseData[K]> {
    if (!this.open) return Promise.reject(new ConnectionLostError(`${type}: not connected`));
    const id = this.#nextId++;
    return new Promise<ResponseData[K]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new RequestTimeoutError(`${type}: no answer in ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve: resolve as (data: unknown) => void, reject, timer });
      this.#socket.send(JSON.stringify({ ...body, type, id }));
    });
  }

  close(): void {
    this.#socket.close();
  }

  #onFrame(raw: string | null): void {
    const message = parseServerMessage(raw);
    if (!message || message.type === 'alive') return;
    if (message.type !== 'response') {
      this.emit('push', message);
      return;
    }
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.ok) pending.resolve(message.data);
    else pending.reject(new RequestError(message.error.code, message.error.message));
  }

  #onClose(): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new ConnectionLostError(`request ${id}: the connection closed`));
    }
    this.#pending.clear();
    this.emit('closed');
  }
}
