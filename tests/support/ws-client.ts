import { once } from 'node:events';
import WebSocket from 'ws';
import type { ClientMessage, ServerMessage } from '../../src/protocol/messages.js';

type Response = Extract<ServerMessage, { type: 'response' }>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * A signaling client for tests: records every message received and lets a test wait for the next
 * message of a type, or for the response to a request, without sleeping.
 */
export class TestClient {
  readonly ws: WebSocket;
  readonly received: ServerMessage[] = [];
  #cursor = 0;
  #nextId = 1;
  #waiters: (() => void)[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      // The server sends text frames only, which ws hands over as one Buffer.
      this.received.push(JSON.parse((data as Buffer).toString('utf8')) as ServerMessage);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    ws.on('close', () => {
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async connect(
    baseUrl: string,
    options: { origin?: string | null; headers?: Record<string, string>; acceptSelfSigned?: boolean; answerPings?: boolean; query?: string } = {},
  ): Promise<TestClient> {
    const url = baseUrl.replace(/^http/, 'ws') + '/ws' + (options.query ? `?${options.query}` : '');
    const origin = options.origin === undefined ? baseUrl : options.origin;
    const ws = new WebSocket(url, {
      headers: { ...(origin ? { Origin: origin } : {}), ...options.headers },
      rejectUnauthorized: !options.acceptSelfSigned,
      autoPong: options.answerPings ?? true,
    });
    const client = new TestClient(ws);
    await once(ws, 'open');
    await client.next('welcome');
    return client;
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** Sends a request and resolves with its response (ok or not). */
  async request(message: DistributiveOmit<ClientMessage, 'id'>): Promise<Response> {
    const id = this.#nextId++;
    this.ws.send(JSON.stringify({ ...message, id }));
    return this.#waitFor((m): m is Response => m.type === 'response' && m.id === id, `response to ${message.type}`);
  }

  /** The next message of this type received after the previous next() call. */
  async next<T extends ServerMessage['type']>(type: T): Promise<Extract<ServerMessage, { type: T }>> {
    return this.#waitFor((m): m is Extract<ServerMessage, { type: T }> => m.type === type, type, true);
  }

  async closed(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.CLOSED) return { code: -1, reason: '' };
    const [code, reason] = (await once(this.ws, 'close')) as [number, Buffer];
    return { code, reason: reason.toString() };
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const closed = once(this.ws, 'close');
    this.ws.close();
    await closed;
  }

  async #waitFor<M extends ServerMessage>(match: (m: ServerMessage) => m is M, what: string, advance = false): Promise<M> {
    for (;;) {
      const start = advance ? this.#cursor : 0;
      for (let i = start; i < this.received.length; i++) {
        const message = this.received[i] as ServerMessage;
        if (match(message)) {
          if (advance) this.#cursor = i + 1;
          return message;
        }
      }
      if (this.ws.readyState === WebSocket.CLOSED || this.ws.readyState === WebSocket.CLOSING) {
        throw new Error(`socket closed while waiting for ${what}; received: ${JSON.stringify(this.received.slice(-5))}`);
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}

/** Both start a text chat with no interests or filter; resolves when both are paired. */
export async function pairText(a: TestClient, b: TestClient): Promise<void> {
  await a.request({ type: 'start', mode: 'text', interests: [], countries: [] });
  await b.request({ type: 'start', mode: 'text', interests: [], countries: [] });
  await Promise.all([a.next('paired'), b.next('paired')]);
}
