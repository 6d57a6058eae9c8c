import { ConnectionLostError, isRequestError } from './errors.js';
import type { Requester } from './signaling.js';

/** Tells the partner; a partner who just left (wrong_state) or a dropped socket is no one to tell. */
export function sendTyping(requester: Requester, typing: boolean): void {
  requester.request('typing', { typing }).catch((error: unknown) => {
    if (!(error instanceof ConnectionLostError) && !isRequestError(error, 'wrong_state')) console.warn('typing | not delivered', error);
  });
}

/**
 * Our own typing state as the partner sees it: `true` once when typing starts, `false` after
 * `idleMs` without input or when the message is sent.
 */
export class TypingNotifier {
  readonly #send: (typing: boolean) => void;
  readonly #idleMs: number;
  #typing = false;
  #timer: number | null = null;

  constructor(send: (typing: boolean) => void, idleMs = 3_000) {
    this.#send = send;
    this.#idleMs = idleMs;
  }

  /** Call on every keystroke in the chat box. */
  input(): void {
    if (!this.#typing) {
      this.#typing = true;
      this.#send(true);
    }
    this.#clearTimer();
    this.#timer = window.setTimeout(() => this.stopped(), this.#idleMs);
  }

  /** Typing ended (idle, or the message was sent): tell the partner once. */
  stopped(): void {
    this.#clearTimer();
    if (!this.#typing) return;
    this.#typing = false;
    this.#send(false);
  }

  /** The chat ended: forget the state without telling anyone. */
  reset(): void {
    this.#clearTimer();
    this.#typing = false;
  }

  #clearTimer(): void {
    if (this.#timer !== null) window.clearTimeout(this.#timer);
    this.#timer = null;
  }
}
