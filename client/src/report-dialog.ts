import { REPORT_REASONS, type ReportReason } from '../../src/protocol/messages.js';
import { byId, el, setShown } from './dom.js';
import { REPORT_REASON_LABEL } from './texts.js';

/** Sends the report; resolves to an error sentence to show, or null when it went through. */
export type SubmitReport = (reason: ReportReason) => Promise<string | null>;

function isReportReason(value: string): value is ReportReason {
  return (REPORT_REASONS as readonly string[]).includes(value);
}

/** The Report dialog: a reason, a confirm button, and any error shown inside the dialog. */
export class ReportDialog {
  readonly #dialog = byId('report-dialog', HTMLDialogElement);
  readonly #reason = byId('report-reason', HTMLSelectElement);
  readonly #confirm = byId('report-confirm', HTMLButtonElement);
  readonly #error = byId('report-error', HTMLElement);
  readonly #submit: SubmitReport;

  constructor(submit: SubmitReport) {
    this.#submit = submit;
    const placeholder = el('option', undefined, 'Choose a reason…');
    placeholder.value = '';
    placeholder.disabled = true;
    placeholder.selected = true;
    this.#reason.replaceChildren(
      placeholder,
      ...REPORT_REASONS.map((reason) => {
        const option = el('option', undefined, REPORT_REASON_LABEL[reason]);
        option.value = reason;
        return option;
      }),
    );
    this.#reason.addEventListener('change', () => this.#render());
    this.#confirm.addEventListener('click', (event) => {
      event.preventDefault();
      void this.#onConfirm();
    });
    byId('report-cancel', HTMLButtonElement).addEventListener('click', (event) => {
      event.preventDefault();
      this.close();
    });
  }

  get isOpen(): boolean {
    return this.#dialog.open;
  }

  open(): void {
    this.#reason.value = '';
    setShown(this.#error, false);
    this.#render();
    this.#dialog.showModal();
    this.#reason.focus();
  }

  close(): void {
    if (this.#dialog.open) this.#dialog.close();
  }

  #render(): void {
    this.#confirm.disabled = !isReportReason(this.#reason.value);
  }

  async #onConfirm(): Promise<void> {
    const reason = this.#reason.value;
    if (!isReportReason(reason)) return;
    this.#confirm.disabled = true;
    const error = await this.#submit(reason);
    this.#render();
    if (error === null) {
      this.close();
      return;
    }
    this.#error.textContent = error;
    setShown(this.#error, true);
  }
}
