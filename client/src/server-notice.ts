import { ERROR_TEXT, type ServerMessage } from '../../src/protocol/messages.js';

/** What the page does with a `closing` or `error` push. */
export interface NoticeEffect {
  /** The user stops searching (the server will not take them back). */
  halt: boolean;
  /** The closing text to keep for the page's later messages (null: none). */
  closedMessage: string | null;
  /** Shown as the error state, as the status line, or not at all. */
  show: { as: 'error' | 'status'; text: string } | null;
}

/**
 * Decides a `closing` or `error` push. A `closing` that goes with the end of the connection
 * (`closedForGood`: the socket will not reconnect) halts the chat, and shows as an error unless
 * the user is on the landing page, where only a ban is shown; one before a reconnect (a drain) is
 * only a status. A `banned` error halts too; any other error is a status. Nothing but a ban shows
 * on the landing page. Pure; tested as a table.
 */
export function serverNotice(
  message: Extract<ServerMessage, { type: 'closing' | 'error' }>,
  { closedForGood, onLanding }: { closedForGood: boolean; onLanding: boolean },
): NoticeEffect {
  if (message.type === 'closing') {
    if (closedForGood) {
      const shown = !onLanding || message.reason === 'banned';
      return { halt: true, closedMessage: message.message, show: shown ? { as: 'error', text: message.message } : null };
    }
    return { halt: false, closedMessage: null, show: onLanding ? null : { as: 'status', text: message.message } };
  }
  const { code, message: text } = message.error;
  if (code === 'banned') return { halt: true, closedMessage: null, show: onLanding ? null : { as: 'error', text: ERROR_TEXT.banned } };
  return { halt: false, closedMessage: null, show: onLanding ? null : { as: 'status', text: ERROR_TEXT[code] ?? text } };
}
