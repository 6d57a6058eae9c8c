import type { ServerMessage, ServerMessageType } from '../../src/protocol/messages.js';

/** Every push and response type the protocol defines; `satisfies` keeps this list complete. */
const KNOWN_TYPES = {
  welcome: true,
  alive: true,
  online: true,
  response: true,
  error: true,
  waiting: true,
  paired: true,
  'partner.left': true,
  'partner.media': true,
  'partner.blur': true,
  'partner.reconnecting': true,
  'partner.back': true,
  'media.consume': true,
  'media.reset': true,
  'media.layers': true,
  chat: true,
  'chat.warning': true,
  typing: true,
  closing: true,
} as const satisfies Record<ServerMessageType, true>;

/**
 * Reads one frame from our own server. The server is the same origin that served this page, so the
 * check is on the envelope (a JSON object of a known type); mediasoup-client validates the media
 * parameters itself and throws a TypeError on bad ones.
 */
export function parseServerMessage(raw: unknown): ServerMessage | null {
  if (typeof raw !== 'string') return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || !('type' in value)) return null;
  const type: unknown = value.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(KNOWN_TYPES, type)) return null;
  return value as ServerMessage;
}
