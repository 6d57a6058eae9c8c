/**
 * What a chatter asks for when they look for a partner, and its validation at the matchmaker's
 * entry. A ticket is session-scoped: it lives in Redis only while its owner waits.
 */
import { CHAT_MODES, MAX_COUNTRIES, MAX_INTEREST_LENGTH, MAX_INTERESTS, normalizeInterest, type ChatMode } from '../protocol/messages.js';

export interface Ticket {
  /** Opaque session id: 1 to 128 characters from [A-Za-z0-9_-] (uuid, base64url, ...). */
  sessionId: string;
  mode: ChatMode;
  /** Normalized interest tags (see normalizeInterest), at most MAX_INTERESTS, no duplicates. */
  interests: string[];
  /** ISO 3166-1 alpha-2 codes the partner must come from; empty means anywhere. */
  countries: string[];
  /** The chatter's own country, null when unknown (a partner with a country filter then refuses). */
  country: string | null;
}

const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;
const COUNTRY_CODE = /^[A-Z]{2}$/;

/**
 * A validated copy of `ticket`: interests normalized and deduplicated, countries deduplicated.
 * Throws TypeError naming the first bad field.
 */
export function normalizeTicket(ticket: Ticket): Ticket {
  if (!SESSION_ID.test(ticket.sessionId)) {
    throw new TypeError('ticket.sessionId must be 1 to 128 characters from [A-Za-z0-9_-]');
  }
  if (!CHAT_MODES.includes(ticket.mode)) throw new TypeError(`ticket.mode must be one of ${CHAT_MODES.join(', ')}`);
  const interests = [...new Set(ticket.interests.map(normalizeInterest))];
  if (interests.length > MAX_INTERESTS) throw new TypeError(`ticket.interests holds more than ${MAX_INTERESTS} tags`);
  if (interests.some((tag) => tag.length === 0 || tag.length > MAX_INTEREST_LENGTH)) {
    throw new TypeError(`ticket.interests: each tag must be 1 to ${MAX_INTEREST_LENGTH} characters`);
  }
  const countries = [...new Set(ticket.countries)];
  if (countries.length > MAX_COUNTRIES) throw new TypeError(`ticket.countries holds more than ${MAX_COUNTRIES} codes`);
  if (!countries.every((code) => COUNTRY_CODE.test(code))) {
    throw new TypeError('ticket.countries must hold ISO 3166-1 alpha-2 codes (two capital letters)');
  }
  if (ticket.country !== null && !COUNTRY_CODE.test(ticket.country)) {
    throw new TypeError('ticket.country must be an ISO 3166-1 alpha-2 code or null');
  }
  return { sessionId: ticket.sessionId, mode: ticket.mode, interests, countries, country: ticket.country };
}
