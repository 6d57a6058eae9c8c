import { createHmac } from 'node:crypto';

/**
 * Interest tags go to the matchmaker (and so into Redis and its append-only file) only as keyed
 * tokens: the store needs equality, not the words, and interests must live only for the session.
 * Each node maps tokens back to words from its own chatters' settings.
 */
export class InterestTokens {
  readonly #key: string;

  constructor(key: string) {
    this.#key = key;
  }

  token(tag: string): string {
    return createHmac('sha256', this.#key)
      .update('interest\0' + tag)
      .digest('hex')
      .slice(0, 24);
  }

  tokens(tags: readonly string[]): string[] {
    return tags.map((tag) => this.token(tag));
  }

  /** The chatter's own tags whose tokens are in `tokens`. */
  words(tags: readonly string[], tokens: readonly string[]): string[] {
    const wanted = new Set(tokens);
    return tags.filter((tag) => wanted.has(this.token(tag)));
  }
}
