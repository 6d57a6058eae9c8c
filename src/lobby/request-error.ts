import type { ErrorCode } from '../protocol/messages.js';

/** A request that cannot be done, with the code and sentence the browser is sent. */
export class RequestError extends Error {
  override name = 'RequestError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
