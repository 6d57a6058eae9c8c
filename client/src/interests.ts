import { MAX_INTERESTS, MAX_INTEREST_LENGTH, normalizeInterest } from '../../src/protocol/messages.js';
import { el, setShown } from './dom.js';

export type AddResult = { tags: string[]; error?: string };

/** Adds one typed interest to the list, following the protocol's rules. Pure, for tests. */
export function addInterest(tags: readonly string[], raw: string): AddResult {
  const tag = normalizeInterest(raw);
  if (tag === '' || tags.includes(tag)) return { tags: [...tags] };
  if (tag.length > MAX_INTEREST_LENGTH) {
    return { tags: [...tags], error: `An interest can be at most ${MAX_INTEREST_LENGTH} characters.` };
  }
  if (tags.length >= MAX_INTERESTS) return { tags: [...tags], error: `You can add up to ${MAX_INTERESTS} interests.` };
  return { tags: [...tags, tag] };
}

/** The "Add interests" tag input: Enter or comma adds a tag, × removes it, Backspace removes the last. */
export class InterestInput {
  readonly #input: HTMLInputElement;
  readonly #list: HTMLElement;
  readonly #error: HTMLElement;
  readonly #onChange: (tags: readonly string[]) => void;
  #tags: string[] = [];

  constructor(input: HTMLInputElement, list: HTMLElement, error: HTMLElement, initial: readonly string[], onChange: (tags: readonly string[]) => void) {
    this.#input = input;
    this.#list = list;
    this.#error = error;
    this.#onChange = onChange;
    for (const tag of initial) this.#tags = addInterest(this.#tags, tag).tags;
    this.#render();
    input.addEventListener('keydown', (event) => this.#onKeyDown(event));
    input.addEventListener('input', () => this.#onInput());
    input.addEventListener('blur', () => this.commitPending());
    list.addEventListener('click', (event) => this.#onListClick(event));
  }

  get tags(): readonly string[] {
    return this.#tags;
  }

  /** Turns what is still typed in the box into a tag (used before starting a chat). */
  commitPending(): void {
    if (this.#input.value.trim() === '') return;
    if (this.#add(this.#input.value)) this.#input.value = '';
  }

  #onKeyDown(event: KeyboardEvent): void {
    if (event.key === 'Enter' || event.key === ',') {
      event.preventDefault();
      this.commitPending();
    } else if (event.key === 'Backspace' && this.#input.value === '' && this.#tags.length > 0) {
      this.#setTags(this.#tags.slice(0, -1));
    }
  }

  /** Pasted "a, b, c": every complete part becomes a tag, the rest stays in the box. */
  #onInput(): void {
    const parts = this.#input.value.split(',');
    if (parts.length < 2) {
      setShown(this.#error, false);
      return;
    }
    const rest = parts.pop() ?? '';
    for (const part of parts) this.#add(part);
    this.#input.value = rest.trimStart();
  }

  #onListClick(event: MouseEvent): void {
    const target = event.target instanceof Element ? event.target.closest('button[data-remove]') : null;
    if (!(target instanceof HTMLButtonElement)) return;
    const tag = target.dataset.remove;
    this.#setTags(this.#tags.filter((t) => t !== tag));
    this.#input.focus();
  }

  #add(raw: string): boolean {
    const result = addInterest(this.#tags, raw);
    this.#error.textContent = result.error ?? '';
    setShown(this.#error, result.error !== undefined);
    if (result.error !== undefined) return false;
    this.#setTags(result.tags);
    return true;
  }

  #setTags(tags: string[]): void {
    const changed = tags.length !== this.#tags.length || tags.some((tag, i) => tag !== this.#tags[i]);
    this.#tags = tags;
    if (!changed) return;
    this.#render();
    this.#onChange(this.#tags);
  }

  #render(): void {
    const items = this.#tags.map((tag) => {
      const item = el('li', 'tag');
      item.dataset.tag = tag;
      item.append(el('span', 'tag-text', tag));
      const remove = el('button', 'tag-remove', '×');
      remove.type = 'button';
      remove.dataset.remove = tag;
      remove.setAttribute('aria-label', `Remove ${tag}`);
      item.append(remove);
      return item;
    });
    this.#list.replaceChildren(...items);
    this.#input.placeholder = this.#tags.length >= MAX_INTERESTS ? 'That is the maximum' : 'Type and press Enter';
  }
}
