import { el, setShown } from './dom.js';

export type MessageAuthor = 'me' | 'partner' | 'system';

/** How long a "typing" push is trusted without a follow-up (the partner may have vanished). */
const TYPING_STALE_MS = 10_000;

/**
 * The visible conversation. It lives in the page only: never stored, cleared when a chat ends.
 * Text is always set with textContent (never parsed as HTML).
 */
export class ChatLog {
  readonly #container: HTMLElement;
  readonly #typing: HTMLElement;
  #typingTimer: number | null = null;

  constructor(container: HTMLElement, typingIndicator: HTMLElement) {
    this.#container = container;
    this.#typing = typingIndicator;
  }

  add(author: MessageAuthor, text: string): void {
    const stick = this.#nearBottom();
    this.#container.append(el('div', `msg ${author}`, text));
    if (stick || author === 'me') this.#container.scrollTop = this.#container.scrollHeight;
  }

  clear(): void {
    this.#container.replaceChildren();
    this.setPartnerTyping(false);
  }

  setPartnerTyping(typing: boolean): void {
    if (this.#typingTimer !== null) window.clearTimeout(this.#typingTimer);
    this.#typingTimer = typing ? window.setTimeout(() => this.setPartnerTyping(false), TYPING_STALE_MS) : null;
    setShown(this.#typing, typing);
  }

  #nearBottom(): boolean {
    const c = this.#container;
    return c.scrollHeight - c.scrollTop - c.clientHeight < 48;
  }
}
