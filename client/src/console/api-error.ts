import { CONSOLE_ERROR_CODES, type ConsoleErrorCode } from '../../../src/protocol/http-errors.js';

/** Why a console API call failed, and the sentence a moderator sees for it. */

/** The server answered with an error status (`{ error: { code, message } }`). */
export class ApiError extends Error {
  override name = 'ApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** fetch() itself failed: no answer from the server. */
export class NetworkError extends Error {
  override name = 'NetworkError';
}

/** The answer did not have the shape docs/console-api.md promises. */
export class ContractError extends Error {
  override name = 'ContractError';

  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`unexpected answer from ${path}: ${detail}`);
  }
}

export function isApiError(error: unknown, code?: string): error is ApiError {
  return error instanceof ApiError && (code === undefined || error.code === code);
}

/** The session is gone: the page must go back to the login view. */
export function isSessionEnded(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401 && error.code !== 'bad_credentials';
}

export const SESSION_ENDED = 'Your session ended. Log in again.';

/** "1 minute", "5 minutes": whole minutes, rounded up, at least one. */
export function minutesText(seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/**
 * A sentence for every code the console API can answer with (src/protocol/http-errors.ts): the
 * compiler refuses a new code without one. A code newer than the page falls back to the server's
 * message or the status.
 */
const CODE_TEXT: Readonly<Record<ConsoleErrorCode, string | ((error: ApiError) => string)>> = {
  bad_request: (error) => (error.message.trim() !== '' ? error.message : 'The server refused the request as malformed. Reload the page and try again.'),
  not_found: 'This item no longer exists. It may have been dismissed or deleted by retention.',
  internal: 'Something went wrong on the server. Try again in a moment.',
  bad_credentials: 'Wrong name, password or code.',
  locked: (error) => {
    const wait = error.retryAfterSeconds === undefined ? 'later' : `in ${minutesText(error.retryAfterSeconds)}`;
    return `This account is locked after too many failed attempts. Try again ${wait}.`;
  },
  rate_limited: (error) => {
    const wait = error.retryAfterSeconds === undefined ? 'in a few minutes' : `in ${minutesText(error.retryAfterSeconds)}`;
    return `Too many attempts from your network. Try again ${wait}.`;
  },
  unauthenticated: SESSION_ENDED,
  csrf: 'The page’s security token is out of date. Reload the page and try again.',
  forbidden: 'Your role does not allow this.',
  claimed: 'Another moderator is working on this item.',
  not_claimed: 'Your claim on this item has expired. Go back to the queue and open it again.',
  not_applicable: 'This is a user report without an image: there is nothing to reveal or escalate. Ban or dismiss it.',
  legal_hold: 'This item is under legal hold and cannot be dismissed.',
  second_moderator_required: 'You requested this escalation yourself. A different moderator must review the item and confirm it.',
  already_escalated: 'This item has already been escalated and confirmed; it is under legal hold.',
  escalation_pending: 'Another moderator has just requested an escalation of this item. Reopen it to confirm.',
  not_requested: 'Nobody has requested an escalation of this item any more. Reopen it and try again.',
  file_missing: 'The image of this item is gone from the evidence store. Dismiss the item; operators have the details in the server log.',
  held_elsewhere:
    'The image of this item is kept on another server, which this one cannot read. Tell an operator: the servers should share one evidence store.',
  evidence_store_unavailable: 'The evidence store cannot be reached right now. Try again in a minute; operators have the details in the server log.',
  integrity: 'The image of this item failed its integrity check (corrupt or altered), so it cannot be shown. Operators have the details in the server log.',
  key_unknown: 'The key that encrypted this image is no longer configured on the server, so it cannot be shown. Tell an operator.',
  key_ring_invalid: 'The server’s evidence keys are misconfigured, so images cannot be shown. Tell an operator.',
  record_corrupt: 'This item’s record is damaged and cannot be shown. Tell an operator.',
};

const isConsoleErrorCode = (code: string): code is ConsoleErrorCode => (CONSOLE_ERROR_CODES as readonly string[]).includes(code);

function statusText(status: number): string {
  if (status === 403) return 'Your role does not allow this.';
  if (status === 404) return 'Not found.';
  if (status === 409) return 'This conflicts with the item’s current state. Refresh and try again.';
  if (status >= 500) return 'Something went wrong on the server. Try again in a moment.';
  return `The request was refused (HTTP ${status}).`;
}

/** One plain sentence for any error a console request can end with. */
export function describeApiError(error: unknown): string {
  if (error instanceof ApiError) {
    if (isConsoleErrorCode(error.code)) {
      const text = CODE_TEXT[error.code];
      return typeof text === 'string' ? text : text(error);
    }
    if (error.status >= 500) return statusText(error.status);
    return error.message.trim() !== '' ? error.message : statusText(error.status);
  }
  if (error instanceof NetworkError) return 'Could not reach the server. Check your connection and try again.';
  if (error instanceof ContractError) return `The server sent an answer the console does not understand (${error.path}).`;
  return 'Something went wrong in the console. Reload the page.';
}

/** "Sam is working on this item", when the claim was refused because someone else holds it. */
export function claimedText(claimedBy: string | null | undefined): string {
  return claimedBy ? `${claimedBy} is working on this item.` : (CODE_TEXT.claimed as string);
}
