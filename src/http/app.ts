import express, { type Express } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../config/paths.js';
import { logger } from '../logging/logger.js';
import type { Router } from 'express';
import { errorHandler, notFound } from './errors.js';
import type { Liveness, Readiness } from './health.js';

const log = logger('http');

export interface LivenessReport {
  status: Liveness;
  [detail: string]: unknown;
}

export interface ReadinessReport extends Readiness {
  [detail: string]: unknown;
}

export interface HttpAppOptions {
  /** `/healthz`: is the process alive (docs/operations.md)? */
  liveness: () => LivenessReport;
  /** `/readyz`: should this node get new chatters? */
  readiness: () => Promise<ReadinessReport>;
  /** The cached online count (no store round trip per request). */
  online: () => number;
  /** The moderator console's API (mounted at /console/api; see docs/console-api.md). */
  consoleApi: Router;
  /** What Veil holds about the requester's connection, and erasure (mounted at /api/privacy). */
  privacyApi: Router;
}

const clientDir = join(projectRoot, 'dist', 'client');

/** Static client, health check and the small public API. */
export function createHttpApp(options: HttpAppOptions): Express {
  if (!existsSync(join(clientDir, 'index.html'))) {
    throw new Error(`the browser client is not built (${clientDir} has no index.html): run npm run build`);
  }
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use((_req, res, next) => {
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; connect-src 'self' ws: wss:; media-src 'self' blob: mediastream:; img-src 'self' data: blob:; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    );
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Permissions-Policy', 'camera=(self), microphone=(self), geolocation=()');
    next();
  });
  app.get('/healthz', (_req, res) => {
    const report = options.liveness();
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });
  app.get('/readyz', async (_req, res, next) => {
    try {
      const report = await options.readiness();
      res.status(report.status === 'ready' ? 200 : 503).json(report);
    } catch (error) {
      next(error);
    }
  });
  app.get('/api/online', (_req, res) => {
    res.json({ online: options.online() });
  });
  app.use('/console/api', options.consoleApi);
  app.use('/api/privacy', options.privacyApi);
  app.get(['/console', '/console/'], (_req, res) => res.sendFile(join(clientDir, 'console.html')));
  app.use(express.static(clientDir, { extensions: ['html'], index: 'index.html' }));
  app.use(notFound('no such page'));
  app.use(errorHandler(log));
  return app;
}
