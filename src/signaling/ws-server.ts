import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { clientAddress, hashAddress } from '../edge/client-address.js';
import { countryOf } from '../edge/country.js';
import { summarizeDevice, type DeviceSummary } from '../edge/device.js';
import { logger } from '../logging/logger.js';
import { Connection, type ConnectionOptions } from './connection.js';
import { originAllowed } from '../edge/origin.js';

const log = logger('ws-server');

export interface SignalingServerOptions extends ConnectionOptions {
  path: string;
  maxPayloadBytes: number;
  allowedOrigins: readonly string[];
  trustedProxies: readonly string[];
  ipHashSecret: string;
}

/** What the edge hands on about a new visitor: never the address itself. */
export interface Visitor {
  ipHash: string;
  country: string | null;
  /** Browser and OS family and language, kept only with flagged evidence. */
  device: DeviceSummary;
}

/**
 * The WebSocket endpoint on the HTTP server: checks path and Origin on upgrade, turns the client
 * address into a keyed hash and a country right here, and hands a Connection on.
 */
export class SignalingServer {
  readonly #wss: WebSocketServer;
  readonly #server: Server;
  readonly #onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

  constructor(server: Server, options: SignalingServerOptions, onConnection: (connection: Connection, visitor: Visitor) => void) {
    this.#server = server;
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes, perMessageDeflate: false });
    this.#onUpgrade = (req, socket, head) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path !== options.path) {
        reject(socket, 404, 'Not Found');
        return;
      }
      if (!originAllowed(req.headers.origin, req.headers.host, options.allowedOrigins)) {
        log.warn({ origin: req.headers.origin ?? '(none)' }, 'upgrade refused: origin not allowed');
        reject(socket, 403, 'Forbidden');
        return;
      }
      const address = clientAddress(req, options.trustedProxies);
      const visitor: Visitor = {
        ipHash: hashAddress(address, options.ipHashSecret),
        country: countryOf(address),
        device: summarizeDevice(req.headers['user-agent'], req.headers['accept-language']),
      };
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        onConnection(new Connection(ws, options), visitor);
      });
    };
    server.on('upgrade', this.#onUpgrade);
  }

  close(): void {
    this.#server.off('upgrade', this.#onUpgrade);
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
  }
}

function reject(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
