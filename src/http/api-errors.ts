import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { EvidenceError, EvidenceIntegrityError, type EvidenceErrorCode } from '../evidence/errors.js';
import { EVIDENCE_ID_PATTERN } from '../evidence/files.js';

/**
 * What the moderator-facing JSON APIs (review API, console API) share: the request error with its
 * status and machine code, the one error handler that turns every failure into
 * `{ error: { code, message } }`, and the edge checks of ids and query strings.
 */

/** A request the API refuses; the error handler answers `status` with `{ error: { code, message } }`. */
export class ApiRequestError extends Error {
  override readonly name = 'ApiRequestError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The code an evidence failure is answered with (the status comes from the error itself). */
const EVIDENCE_CODES: Readonly<Record<EvidenceErrorCode, string>> = {
  KEY_RING_INVALID: 'key_ring_invalid',
  KEY_UNKNOWN: 'key_unknown',
  INTEGRITY: 'integrity',
  NOT_FOUND: 'not_found',
  FILE_MISSING: 'file_missing',
  RECORD_CORRUPT: 'record_corrupt',
  LEGAL_HOLD_ACTIVE: 'legal_hold',
};

export function sendError(res: Response, status: number, code: string, message: string): void {
  res.setHeader('Cache-Control', 'no-store');
  res.status(status).json({ error: { code, message } });
}

/** Middleware: `Cache-Control: no-store` on every answer of the router. */
export function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  next();
}

/**
 * The error handler of one router; `log` is that router's named logger. Evidence messages never
 * carry key material or image bytes (src/evidence/errors.ts); other errors are logged by message only,
 * since ioredis errors carry command arguments. `res.locals.evidenceId` names the item in log lines.
 */
export function apiErrorHandler(log: Logger) {
  return function handleApiError(error: unknown, _req: Request, res: Response, next: NextFunction): void {
    if (res.headersSent) {
      next(error); // express ends the half-sent response
      return;
    }
    const id = typeof res.locals.evidenceId === 'string' ? res.locals.evidenceId : undefined;
    if (error instanceof ApiRequestError) {
      sendError(res, error.status, error.code, error.message);
    } else if (error instanceof EvidenceIntegrityError) {
      log.error({ id, code: error.code, err: error.message }, 'decrypt | evidence file failed its integrity check');
      sendError(
        res,
        500,
        'integrity',
        `evidence ${id ?? ''} failed its integrity check: the encrypted file is corrupt, altered or belongs to another item, so the image cannot be shown; operators have the details in the server log`,
      );
    } else if (error instanceof EvidenceError) {
      if (error.status >= 500) log.error({ id, code: error.code, err: error.message }, 'request failed');
      else if (error.status === 410) log.warn({ id, code: error.code }, 'request for an item whose file is missing');
      sendError(res, error.status, EVIDENCE_CODES[error.code], error.message);
    } else if (isBodyParserError(error)) {
      sendError(res, error.status === 413 ? 413 : 400, 'bad_request', 'the request body is not acceptable JSON');
    } else {
      log.error({ id, err: error instanceof Error ? error.message : String(error) }, 'request failed');
      sendError(res, 500, 'internal', 'something went wrong on our side');
    }
  };
}

/** body-parser's errors (malformed JSON, too large, wrong charset) carry a 4xx `status` and a `type`. */
function isBodyParserError(error: unknown): error is Error & { status: number } {
  if (!(error instanceof Error) || !('type' in error) || !('status' in error)) return false;
  const { status } = error as { status: unknown };
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** Checks an evidence id before it reaches a store (and the file system); remembers it for error logs. */
export function evidenceIdParam(id: unknown, res: Response): string {
  if (typeof id !== 'string' || !EVIDENCE_ID_PATTERN.test(id)) {
    throw new ApiRequestError(400, 'bad_request', 'an evidence id is a lowercase UUID');
  }
  res.locals.evidenceId = id;
  return id;
}

/** A query-string integer in min..max, `fallback` when absent; repeated parameters (arrays) are refused. */
export const wholeNumber = (min: number, max: number, fallback: string) =>
  z
    .string()
    .regex(/^\d{1,10}$/, 'must be a whole number')
    .default(fallback)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** Parses `input` (a query or a JSON body) or throws a 400 that names the issues and what was expected. */
export function parseInput<T extends z.ZodTypeAny>(schema: T, input: unknown, what: string, expected: string): z.output<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data as z.output<T>;
  const detail = parsed.error.issues.map((issue) => `${issue.path.join('.') || what}: ${issue.message}`).join('; ');
  throw new ApiRequestError(400, 'bad_request', `bad ${what} (${detail}); expected ${expected}`);
}
