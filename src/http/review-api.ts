import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { logger } from '../logging/logger.js';
import type { EvidenceStore } from '../moderation/evidence-store.js';
import type { EvidenceLegalHold, EvidenceReason, EvidenceRecord } from '../moderation/evidence-types.js';
import { ApiRequestError, apiErrorHandler, evidenceIdParam, noStore, parseInput, sendError, wholeNumber } from './api-errors.js';

const log = logger('review-api');

export interface ReviewApiOptions {
  evidence: EvidenceStore;
  /** Bearer token of the authorised reviewer (>= 32 chars); empty string = API disabled. */
  token: string;
}

/** One entry of `GET /queue`: what a reviewer needs to pick an item, without address hash or session. */
export interface ReviewQueueItem {
  id: string;
  reason: EvidenceReason;
  priority: number;
  scores: Record<string, number>;
  capturedAt: number;
  storedAt: number;
  deleteAt: number;
  legalHold?: EvidenceLegalHold;
  sizeBytes: number;
}

export const REVIEW_API_DISABLED_MESSAGE = 'the review API is disabled: set VEIL_REVIEW_API_TOKEN';
const MIN_TOKEN_LENGTH = 32;
/** RFC 6750 b64token: what can follow "Bearer " in an Authorization header. */
const TOKEN_SYNTAX = /^[A-Za-z0-9\-._~+/]+=*$/;
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const REALM = 'Bearer realm="veil-review"';

const queueQuery = z
  .object({ limit: wholeNumber(1, 500, '50'), offset: wholeNumber(0, 1_000_000_000, '0') })
  .strict();

/**
 * The minimal review-queue API, mounted at `/api/review`: the queue in review order, one item's
 * metadata and its decrypted image, all behind one reviewer bearer token (see docs/review-api.md).
 * Without a token every route answers 404. Item views and image decrypts are audit-logged.
 * Throws a TypeError when the token is set but too short or not usable in a Bearer header.
 */
export function createReviewApi(options: ReviewApiOptions): express.Router {
  const router = express.Router();
  router.use(noStore);
  if (options.token === '') {
    log.info('createReviewApi() | disabled: no reviewer token configured');
    router.use((_req, res) => sendError(res, 404, 'not_found', REVIEW_API_DISABLED_MESSAGE));
    return router;
  }
  if (options.token.length < MIN_TOKEN_LENGTH || !TOKEN_SYNTAX.test(options.token)) {
    // The token itself never goes into the message.
    throw new TypeError(
      `the review API token must be at least ${MIN_TOKEN_LENGTH} characters of A-Z a-z 0-9 - . _ ~ + / (e.g. openssl rand -hex 32)`,
    );
  }
  const { evidence } = options;

  router.use(requireToken(sha256(options.token)));

  router.get('/queue', async (req, res) => {
    const query = parseQuery(req.query);
    const records = await evidence.list(query);
    res.json({ items: records.map(summarise) });
  });

  router.get('/items/:id', async (req, res) => {
    const id = evidenceIdParam(req.params.id, res);
    const record = await evidence.get(id);
    if (!record) throw new ApiRequestError(404, 'not_found', `evidence ${id} does not exist`);
    log.info({ action: 'view', id }, 'audit | item viewed');
    res.json(record);
  });

  router.get('/items/:id/image', async (req, res) => {
    const id = evidenceIdParam(req.params.id, res);
    const jpeg = await evidence.decrypt(id);
    log.info({ action: 'decrypt', id }, 'audit | image decrypted');
    // end() rather than send(): no ETag derived from the image bytes.
    res.status(200);
    res.setHeader('Content-Type', 'image/jpeg');
    res.setHeader('Content-Length', jpeg.length);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.end(jpeg);
  });

  router.use((_req, res) => sendError(res, 404, 'not_found', 'no such review API route'));
  router.use(apiErrorHandler(log));
  return router;
}

function requireToken(expected: Buffer) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const presented = BEARER.exec(req.get('authorization') ?? '')?.[1];
    // Both sides are 32-byte digests, so timingSafeEqual never sees different lengths.
    if (presented !== undefined && timingSafeEqual(sha256(presented), expected)) {
      next();
      return;
    }
    if (presented === undefined) {
      res.setHeader('WWW-Authenticate', REALM);
      sendError(res, 401, 'unauthorized', 'send the review token as "Authorization: Bearer <token>"');
      return;
    }
    log.warn('authorisation | wrong review token presented');
    res.setHeader('WWW-Authenticate', `${REALM}, error="invalid_token"`);
    sendError(res, 401, 'unauthorized', 'the review token is not valid');
  };
}

function parseQuery(query: unknown): { limit: number; offset: number } {
  return parseInput(queueQuery, query, 'queue query', 'limit 1..500, offset >= 0');
}

function summarise(record: EvidenceRecord): ReviewQueueItem {
  const { id, reason, priority, scores, capturedAt, storedAt, deleteAt, legalHold, sizeBytes } = record;
  return { id, reason, priority, scores, capturedAt, storedAt, deleteAt, ...(legalHold && { legalHold }), sizeBytes };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
