import { MAX_COUNTRIES } from '../../src/protocol/messages.js';
import { countryName, sortedCountries } from './countries.js';
import { el, setShown } from './dom.js';

/** "Anywhere", "Germany", "Germany and France", "Germany, France and 3 more". Pure, for tests. */
export function summarizeCountries(names: readonly string[]): string {
  if (names.length === 0) return 'Anywhere';
  if (names.length === 1) return names[0] ?? '';
  if (names.length === 2) return `${names[0]} and ${names[1]}`;
  return `${names[0]}, ${names[1]} and ${names.length - 2} more`;
}

/**
 * The optional "Only meet people from" filter: a multiple <select> of ISO codes (a click toggles an
 * option, no Ctrl needed), a search box that narrows the list, a summary and a Clear button.
 */
export class CountryFilter {
  readonly #select: HTMLSelectElement;
  readonly #summary: HTMLElement;
  readonly #error: HTMLElement;
  readonly #onChange: (codes: readonly string[]) => void;
  #codes: string[] = [];

  constructor(
    parts: { select: HTMLSelectElement; search: HTMLInputElement; summary: HTMLElement; clear: HTMLButtonElement; error: HTMLElement },
    initial: readonly string[],
    onChange: (codes: readonly string[]) => void,
  ) {
    this.#select = parts.select;
    this.#summary = parts.summary;
    this.#error = parts.error;
    this.#onChange = onChange;
    const options = sortedCountries().map(({ code, name }) => {
      const option = el('option', undefined, name);
      option.value = code;
      option.selected = initial.includes(code);
      return option;
    });
    this.#select.replaceChildren(...options);
    this.#codes = this.#selected();
    this.#renderSummary();

    this.#select.addEventListener('change', () => this.#onSelectChange());
    this.#select.addEventListener('mousedown', (event) => this.#onMouseDown(event));
    parts.search.addEventListener('input', () => this.#filter(parts.search.value));
    parts.clear.addEventListener('click', () => {
      for (const option of this.#select.options) option.selected = false;
      this.#onSelectChange();
    });
  }

  get codes(): readonly string[] {
    return this.#codes;
  }

  /** On a desktop list box, a plain click toggles one option instead of replacing the selection. */
  #onMouseDown(event: MouseEvent): void {
    const option = event.target;
    if (!(option instanceof HTMLOptionElement) || event.shiftKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    option.selected = !option.selected;
    this.#select.dispatchEvent(new Event('change', { bubbles: true }));
  }

  #onSelectChange(): void {
    const selected = this.#selected();
    if (selected.length > MAX_COUNTRIES) {
      for (const option of this.#select.options) option.selected = this.#codes.includes(option.value);
      this.#error.textContent = `You can choose up to ${MAX_COUNTRIES} countries.`;
      setShown(this.#error, true);
      return;
    }
    setShown(this.#error, false);
    this.#codes = selected;
    this.#renderSummary();
    this.#onChange(this.#codes);
  }

  #filter(query: string): void {
    const needle = query.trim().toLocaleLowerCase();
    for (const option of this.#select.options) {
      option.hidden = needle !== '' && !option.text.toLocaleLowerCase().includes(needle) && option.value.toLowerCase() !== needle;
    }
  }

  #selected(): string[] {
    return Array.from(this.#select.selectedOptions, (option) => option.value);
  }

  #renderSummary(): void {
    this.#summary.textContent = summarizeCountries(this.#codes.map(countryName));
  }
}
