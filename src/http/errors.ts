import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { EvidenceError, EvidenceIntegrityError, type EvidenceErrorCode } from '../evidence/errors.js';
import type { ApiErrorCode, ConsoleErrorCode, ErrorBody, PrivacyErrorCode } from '../protocol/http-errors.js';

/**
 * The HTTP side's one error model: a request is refused by throwing an `HttpError` (a status and a
 * code from the API's closed list in src/protocol/http-errors.ts), and every router and the app end
 * in the same `errorHandler`, which turns any failure into `{ error: { code, message } }`.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    /** With 423 and 429: when to try again; sent as `Retry-After` and in the body. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** A refusal of the moderator console's API. */
export const consoleError = (status: number, code: ConsoleErrorCode, message: string, retryAfterSeconds?: number): HttpError =>
  new HttpError(status, code, message, retryAfterSeconds);

/** A refusal of the privacy-request API. */
export const privacyError = (status: number, code: PrivacyErrorCode, message: string, retryAfterSeconds?: number): HttpError =>
  new HttpError(status, code, message, retryAfterSeconds);

/** The code an evidence failure is answered with (the status comes from the error itself). */
const EVIDENCE_CODES: Readonly<Record<EvidenceErrorCode, ConsoleErrorCode>> = {
  KEY_RING_INVALID: 'key_ring_invalid',
  KEY_UNKNOWN: 'key_unknown',
  INTEGRITY: 'integrity',
  NOT_FOUND: 'not_found',
  FILE_MISSING: 'file_missing',
  HELD_ELSEWHERE: 'held_elsewhere',
  STORE_UNAVAILABLE: 'evidence_store_unavailable',
  RECORD_CORRUPT: 'record_corrupt',
  LEGAL_HOLD_ACTIVE: 'legal_hold',
};

const INTERNAL_MESSAGE = 'something went wrong on our side; please try again later';

/** Answers `error` as `{ error: { code, message, retryAfterSeconds? } }`, never cached. */
export function sendError(res: Response, error: HttpError): void {
  res.setHeader('Cache-Control', 'no-store');
  const body: ErrorBody = { error: { code: error.code, message: error.message } };
  if (error.retryAfterSeconds !== undefined) {
    res.setHeader('Retry-After', String(error.retryAfterSeconds));
    body.error.retryAfterSeconds = error.retryAfterSeconds;
  }
  res.status(error.status).json(body);
}

/** Middleware: `Cache-Control: no-store` on every answer of the router. */
export function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  next();
}

/** The last middleware of a router: an unknown route is a JSON 404, not express's HTML page. */
export function notFound(what: string) {
  return function answerNotFound(): never {
    throw new HttpError(404, 'not_found', what);
  };
}

/**
 * The error handler every router and the app end in; `log` is the router's named logger. Evidence
 * messages never carry key material or image bytes (src/evidence/errors.ts); other errors are
 * logged by message only, since ioredis errors carry command arguments (address hashes).
 * `res.locals.evidenceId` names the item in log lines.
 */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return function handleError(error: unknown, _req: Request, res: Response, next: NextFunction): void {
    if (res.headersSent) {
      next(error); // express ends the half-sent response
      return;
    }
    sendError(res, asHttpError(error, log, typeof res.locals.evidenceId === 'string' ? res.locals.evidenceId : undefined));
  };
}

function asHttpError(error: unknown, log: Logger, id: string | undefined): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof EvidenceIntegrityError) {
    log.error({ id, code: error.code, err: error.message }, 'decrypt | evidence file failed its integrity check');
    return new HttpError(
      500,
      'integrity',
      `evidence ${id ?? ''} failed its integrity check: the encrypted file is corrupt, altered or belongs to another item, so the image cannot be shown; operators have the details in the server log`,
    );
  }
  if (error instanceof EvidenceError) {
    if (error.status >= 500) log.error({ id, code: error.code, err: error.message }, 'request failed');
    else if (error.status === 410) log.warn({ id, code: error.code }, 'request for an item whose file is missing');
    return new HttpError(error.status, EVIDENCE_CODES[error.code], error.message);
  }
  if (isBodyParserError(error)) return new HttpError(error.status === 413 ? 413 : 400, 'bad_request', 'the request body is not acceptable JSON');
  log.error({ id, err: error instanceof Error ? error.message : String(error) }, 'request failed');
  return new HttpError(500, 'internal', INTERNAL_MESSAGE);
}

/** body-parser's errors (malformed JSON, too large, wrong charset) carry a 4xx `status` and a `type`. */
function isBodyParserError(error: unknown): error is Error & { status: number } {
  if (!(error instanceof Error) || !('type' in error) || !('status' in error)) return false;
  const { status } = error as { status: unknown };
  return typeof status === 'number' && status >= 400 && status < 500;
}
