/**
 * The P2P baseline's signaling server: an HTTP server on 127.0.0.1 that serves one page
 * (bench/p2p/page.ts, bundled to dist/bench/p2p-page.js by `npm run bench:chat`) and a WebSocket
 * relay at /ws. It pairs like a roulette with a queue of one: a page that asks for `next` leaves
 * its partner (who is told `partner-left`) and is paired with the page waiting, if there is one,
 * and makes the offer; otherwise it waits. Offers, answers and candidates go to the partner.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { MAX_MESSAGE_BYTES, pageMessage, type ServerMessage } from './protocol.js';

const PAGE_SCRIPT = new URL('./p2p-page.js', import.meta.url);

const PAGE_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>P2P baseline</title></head>
<body data-state="landing">
<button id="next" type="button">Next</button>
<video id="partner" autoplay muted playsinline></video>
<script src="/page.js"></script>
</body>
</html>
`;

interface Peer {
  readonly socket: WebSocket;
  partner: Peer | undefined;
}

function send(peer: Peer, message: ServerMessage): void {
  peer.socket.send(JSON.stringify(message));
}

function parse(data: RawData): unknown {
  try {
    return Buffer.isBuffer(data) ? (JSON.parse(data.toString('utf8')) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

export class P2pSignalingServer {
  readonly url: string;
  readonly #http: Server;
  readonly #sockets: WebSocketServer;
  #waiting: Peer | undefined;
  #closing: Promise<void> | undefined;

  private constructor(http: Server, sockets: WebSocketServer) {
    this.#http = http;
    this.#sockets = sockets;
    this.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    sockets.on('connection', (socket) => this.#accept(socket));
  }

  static async create(): Promise<P2pSignalingServer> {
    let script: string;
    try {
      script = await readFile(PAGE_SCRIPT, 'utf8');
    } catch (error) {
      throw new Error(`P2pSignalingServer.create() | no page bundle at ${PAGE_SCRIPT.pathname}: run npm run bench:chat`, { cause: error });
    }
    const app = express();
    app.get('/', (_req, res) => {
      res.type('html').send(PAGE_HTML);
    });
    app.get('/page.js', (_req, res) => {
      res.type('js').send(script);
    });
    const http = createServer(app);
    const sockets = new WebSocketServer({ server: http, path: '/ws', maxPayload: MAX_MESSAGE_BYTES });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(0, '127.0.0.1', () => {
        http.off('error', reject);
        resolve();
      });
    });
    return new P2pSignalingServer(http, sockets);
  }

  #accept(socket: WebSocket): void {
    const peer: Peer = { socket, partner: undefined };
    socket.on('message', (data) => {
      const message = pageMessage.safeParse(parse(data));
      if (!message.success) {
        socket.close(1008, 'invalid message');
        return;
      }
      if (message.data.type === 'next') this.#next(peer);
      else if (peer.partner) peer.partner.socket.send(JSON.stringify(message.data));
    });
    socket.on('close', () => {
      this.#leave(peer);
      if (this.#waiting === peer) this.#waiting = undefined;
    });
  }

  #leave(peer: Peer): void {
    const partner = peer.partner;
    if (!partner) return;
    peer.partner = undefined;
    partner.partner = undefined;
    send(partner, { type: 'partner-left' });
  }

  #next(peer: Peer): void {
    this.#leave(peer);
    const waiting = this.#waiting;
    if (waiting === undefined || waiting === peer) {
      this.#waiting = peer;
      send(peer, { type: 'waiting' });
      return;
    }
    this.#waiting = undefined;
    peer.partner = waiting;
    waiting.partner = peer;
    send(peer, { type: 'paired', offerer: true });
    send(waiting, { type: 'paired', offerer: false });
  }

  /** Closes every socket and the HTTP server; idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const socket of this.#sockets.clients) socket.terminate();
      await new Promise<void>((resolve) => this.#sockets.close(() => resolve()));
      const closed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
      this.#http.closeAllConnections();
      await closed;
    })();
    return this.#closing;
  }
}
