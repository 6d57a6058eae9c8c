import { byId } from '../dom.js';

/** Sends what the dialog asks for; resolves to an error sentence to show in it, or null when done. */
export type DialogSubmit = () => Promise<string | null>;

/**
 * A modal `<dialog>` around a form: Cancel and Esc close it, submit runs the action with the
 * confirm button disabled, and an error stays inside the dialog next to the fields.
 */
export class FormDialog {
  readonly #dialog: HTMLDialogElement;
  readonly #form: HTMLFormElement;
  readonly #confirm: HTMLButtonElement;
  readonly #error: HTMLElement;
  #busy = false;

  constructor(prefix: 'dismiss' | 'ban' | 'escalate' | 'lift', submit: DialogSubmit) {
    this.#dialog = byId(`${prefix}-dialog`, HTMLDialogElement);
    this.#form = byId(`${prefix}-form`, HTMLFormElement);
    this.#confirm = byId(`${prefix}-confirm`, HTMLButtonElement);
    this.#error = byId(`${prefix}-error`, HTMLElement);
    byId(`${prefix}-cancel`, HTMLButtonElement).addEventListener('click', () => this.close());
    this.#form.addEventListener('input', () => this.showError(''));
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#submit(submit);
    });
  }

  get isOpen(): boolean {
    return this.#dialog.open;
  }

  get confirmButton(): HTMLButtonElement {
    return this.#confirm;
  }

  open(focus: HTMLElement): void {
    this.showError('');
    this.#dialog.showModal();
    focus.focus();
  }

  close(): void {
    if (this.#dialog.open) this.#dialog.close();
  }

  showError(text: string): void {
    this.#error.textContent = text;
  }

  async #submit(submit: DialogSubmit): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    this.#confirm.disabled = true;
    try {
      const error = await submit();
      if (error === null) this.close();
      else this.showError(error);
    } finally {
      this.#busy = false;
      this.#confirm.disabled = false;
    }
  }
}
