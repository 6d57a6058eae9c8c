import type { z } from 'zod';
import { eraseResultSchema, holdingsSchema, type EraseResult, type Holdings } from '../../../src/protocol/privacy-api.js';
import { errorBodySchema, PRIVACY_ERROR_CODES, type PrivacyErrorCode } from '../../../src/protocol/http-errors.js';

const BASE = '/api/privacy';

/** A request the server refused or could not answer; `message` is for people. */
export class PrivacyApiError extends Error {
  override readonly name = 'PrivacyApiError';

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What Veil holds about the keyed hash of this connection's address. */
export function fetchHoldings(): Promise<Holdings> {
  return call(`${BASE}/holdings`, { method: 'GET' }, holdingsSchema);
}

/** Deletes what may be deleted; the JSON content type makes a cross-site request impossible without CORS. */
export function eraseMyData(): Promise<EraseResult> {
  return call(`${BASE}/erase`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"confirm":true}' }, eraseResultSchema);
}

async function call<T>(url: string, init: RequestInit, schema: z.ZodType<T>): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, cache: 'no-store', credentials: 'same-origin' });
  } catch {
    throw new PrivacyApiError('network', 'Veil could not be reached. Check your connection and try again.');
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (response.ok) {
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    throw new PrivacyApiError('bad_answer', 'The server sent an answer this page does not understand. Reload the page and try again.');
  }
  const error = errorBodySchema.safeParse(body);
  const code = error.success ? error.data.error.code : `http_${response.status}`;
  throw new PrivacyApiError(code, humanMessage(code, response.status, error.success ? error.data.error.message : undefined));
}

const REFUSED_ELSEWHERE = 'This request was refused because it did not come from Veil’s own My data page. Reload this page and try again.';

/** A sentence for every code the privacy API can answer with: the compiler refuses a new code without one. */
const CODE_TEXT: Readonly<Record<PrivacyErrorCode, string>> = {
  rate_limited: 'Too many requests from this connection. Wait a minute, then try again.',
  forbidden_origin: REFUSED_ELSEWHERE,
  json_required: REFUSED_ELSEWHERE,
  internal: 'Something went wrong on our side. Please try again later.',
  not_found: 'This page asked the server for something it does not have. Reload the page and try again.',
  bad_request: 'The server did not understand this page’s request. Reload the page and try again.',
};

const isPrivacyErrorCode = (code: string): code is PrivacyErrorCode => (PRIVACY_ERROR_CODES as readonly string[]).includes(code);

function humanMessage(code: string, status: number, serverMessage: string | undefined): string {
  const known = isPrivacyErrorCode(code) ? CODE_TEXT[code] : null;
  return known ?? serverMessage ?? `The request failed (HTTP ${status}). Please try again later.`;
}
