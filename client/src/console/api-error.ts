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

/** Sentences for the codes the console knows; others fall back to the server's message. */
const CODE_TEXT: Readonly<Record<string, string>> = {
  bad_credentials: 'Wrong name, password or code.',
  unauthenticated: SESSION_ENDED,
  csrf: 'The page’s security token is out of date. Reload the page and try again.',
  forbidden: 'Your role does not allow this.',
  claimed: 'Another moderator is working on this item.',
  not_claimed: 'Your claim on this item has expired. Go back to the queue and open it again.',
  legal_hold: 'This item is under legal hold and cannot be dismissed.',
  second_moderator_required:
    'You requested this escalation yourself. A different moderator must review the item and confirm it.',
  already_escalated: 'This item has already been escalated and confirmed; it is under legal hold.',
  escalation_pending: 'Another moderator has just requested an escalation of this item. Reopen it to confirm.',
  not_found: 'This item no longer exists. It may have been dismissed or deleted by retention.',
};

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
    if (error.code === 'locked') {
      const wait = error.retryAfterSeconds === undefined ? 'later' : `in ${minutesText(error.retryAfterSeconds)}`;
      return `This account is locked after too many failed attempts. Try again ${wait}.`;
    }
    if (error.code === 'rate_limited') {
      const wait = error.retryAfterSeconds === undefined ? 'in a few minutes' : `in ${minutesText(error.retryAfterSeconds)}`;
      return `Too many attempts from your network. Try again ${wait}.`;
    }
    const known = CODE_TEXT[error.code];
    if (known !== undefined) return known;
    if (error.status >= 500) return statusText(error.status);
    return error.message.trim() !== '' ? error.message : statusText(error.status);
  }
  if (error instanceof NetworkError) return 'Could not reach the server. Check your connection and try again.';
  if (error instanceof ContractError) return `The server sent an answer the console does not understand (${error.path}).`;
  return 'Something went wrong in the console. Reload the page.';
}

/** "Sam is working on this item", when the claim was refused because someone else holds it. */
export function claimedText(claimedBy: string | null | undefined): string {
  return claimedBy ? `${claimedBy} is working on this item.` : (CODE_TEXT['claimed'] ?? '');
}
