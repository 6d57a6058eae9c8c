import express, { type Router } from 'express';
import { logger } from '../logging/logger.js';
import { apiErrorHandler, noStore, sendError } from './api-errors.js';
import type { ConsoleAuth } from './console-auth.js';

const log = logger('console-api');

/**
 * Everything under /console/api: the session routes (login parses its own body), then the
 * moderator API behind its JSON parser, then JSON answers for unknown routes and bad bodies.
 */
export function consoleRoutes(parts: { auth: ConsoleAuth; api: Router }): Router {
  const router = express.Router();
  router.use(noStore);
  router.use(parts.auth.router);
  router.use(express.json({ limit: '16kb' }), parts.api);
  router.use((_req, res) => sendError(res, 404, 'not_found', 'no such console API route'));
  router.use(apiErrorHandler(log));
  return router;
}
