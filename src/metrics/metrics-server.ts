import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { logger } from '../logging/logger.js';
import type { Metrics } from './metrics.js';

const log = logger('metrics');

/**
 * `GET /metrics` in Prometheus text format on a listener of its own (loopback by default), so the
 * numbers are never on the public port. Anything else is 404.
 */
export class MetricsServer {
  readonly url: string;
  readonly #server: Server;

  private constructor(server: Server, url: string) {
    this.#server = server;
    this.url = url;
  }

  static async create(metrics: Metrics, options: { host: string; port: number }): Promise<MetricsServer> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
        return;
      }
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (error: Error) => {
          log.error({ err: error.message }, 'metrics collection failed');
          res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new Error(`cannot listen for metrics on ${options.host}:${options.port} (metricsHost/metricsPort): ${error.message}`)),
      );
      server.listen(options.port, options.host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    return new MetricsServer(server, `http://${host}:${port}/metrics`);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
