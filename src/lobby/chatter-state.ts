import type { ClientMessageType } from '../protocol/messages.js';

export type ChatterState = 'idle' | 'waiting' | 'paired';

/** In which states each request is accepted; anything else is answered with `wrong_state`. */
const ALLOWED: Record<ClientMessageType, readonly ChatterState[]> = {
  start: ['idle'],
  next: ['waiting', 'paired'],
  stop: ['waiting', 'paired'],
  chat: ['paired'],
  typing: ['paired'],
  report: ['idle', 'waiting', 'paired'],
  'media.capabilities': ['idle', 'waiting', 'paired'],
  'media.transports': ['idle', 'waiting', 'paired'],
  'media.connect': ['idle', 'waiting', 'paired'],
  'media.produce': ['idle', 'waiting', 'paired'],
  'media.pause': ['idle', 'waiting', 'paired'],
  'media.ready': ['paired'],
  resume: ['idle'],
};

export function allowedIn(type: ClientMessageType, state: ChatterState): boolean {
  return ALLOWED[type].includes(state);
}

/** A sentence for the wrong_state reply. */
export function wrongStateMessage(type: ClientMessageType, state: ChatterState): string {
  const where = ALLOWED[type].join(' or ');
  return `"${type}" is not possible while ${state}; it is accepted while ${where}`;
}
