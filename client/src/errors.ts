import { ERROR_TEXT, type ErrorCode } from '../../src/protocol/messages.js';

/** The server answered a request with `ok: false`. */
export class RequestError extends Error {
  override name = 'RequestError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** The socket closed (or was not open) before the request was answered. */
export class ConnectionLostError extends Error {
  override name = 'ConnectionLostError';
}

/** No answer within the request timeout (the server drops rate-limited frames without an id). */
export class RequestTimeoutError extends Error {
  override name = 'RequestTimeoutError';
}

export function isRequestError(error: unknown, code?: ErrorCode): error is RequestError {
  return error instanceof RequestError && (code === undefined || error.code === code);
}

/** A sentence for the status line, for any error a request can end with. */
export function describeError(error: unknown): string {
  if (error instanceof RequestError) return ERROR_TEXT[error.code] ?? error.message;
  if (error instanceof ConnectionLostError) return 'The connection was lost. Reconnecting…';
  if (error instanceof RequestTimeoutError) return 'The server did not answer in time. Try again.';
  return ERROR_TEXT.internal;
}
