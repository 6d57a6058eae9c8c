/**
 * The error answers of Veil's JSON APIs: one body shape, and a closed list of codes per API, so
 * that the server cannot answer with a code the pages have no sentence for (each page keeps a
 * `Record<Code, …>` of texts, as `ERROR_TEXT` does for the WebSocket). Imports zod only, so the
 * browser bundles take it.
 */
import { z } from 'zod';

/** Codes any JSON API may answer with. */
const COMMON_ERROR_CODES = ['bad_request', 'not_found', 'internal'] as const;

/** What the moderator console's API (`/console/api`, docs/console-api.md) answers with. */
export const CONSOLE_ERROR_CODES = [
  ...COMMON_ERROR_CODES,
  'bad_credentials',
  'locked',
  'rate_limited',
  'unauthenticated',
  'forbidden',
  'csrf',
  'claimed',
  'not_claimed',
  'not_applicable',
  'legal_hold',
  'second_moderator_required',
  'already_escalated',
  'escalation_pending',
  'not_requested',
  'file_missing',
  'held_elsewhere',
  'evidence_store_unavailable',
  'integrity',
  'key_unknown',
  'key_ring_invalid',
  'record_corrupt',
] as const;
export type ConsoleErrorCode = (typeof CONSOLE_ERROR_CODES)[number];

/** What the privacy-request API (`/api/privacy`) answers with. */
export const PRIVACY_ERROR_CODES = [...COMMON_ERROR_CODES, 'forbidden_origin', 'json_required', 'rate_limited'] as const;
export type PrivacyErrorCode = (typeof PRIVACY_ERROR_CODES)[number];

/** Any code of any API: what the one server-side error class and handler carry. */
export type ApiErrorCode = ConsoleErrorCode | PrivacyErrorCode;

/**
 * `{ error: { code, message, retryAfterSeconds? } }`, the body of every error answer. The code is
 * read as a string: a page must still show something for a code newer than itself.
 */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    /** With 423 locked and 429 rate_limited: when to try again (also in `Retry-After`). */
    retryAfterSeconds: z.number().int().nonnegative().optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;
