import { byId, el } from '../dom.js';
import { BAN_DURATIONS, banDays, checkBanReason } from './format.js';
import { FormDialog } from './form-dialog.js';

export interface ItemActions {
  dismiss(): Promise<string | null>;
  ban(days: number | null, reason: string): Promise<string | null>;
  escalate(note: string): Promise<string | null>;
  liftBan(): Promise<string | null>;
}

/**
 * The confirmations of the item view: dismiss, ban (duration and reason), escalate (note), and
 * lifting the ban in force on the item's address hash (admins).
 */
export class ItemDialogs {
  readonly #dismiss: FormDialog;
  readonly #ban: FormDialog;
  readonly #escalate: FormDialog;
  readonly #lift: FormDialog;
  readonly #banDays = byId('ban-days', HTMLSelectElement);
  readonly #banReason = byId('ban-reason', HTMLTextAreaElement);
  readonly #note = byId('escalate-note', HTMLTextAreaElement);
  readonly #escalateTitle = byId('escalate-title', HTMLElement);
  readonly #escalateExplain = byId('escalate-explain', HTMLElement);
  readonly #liftExplain = byId('lift-explain', HTMLElement);

  constructor(actions: ItemActions) {
    this.#banDays.replaceChildren(
      ...BAN_DURATIONS.map((duration) => {
        const option = el('option', undefined, duration.label);
        option.value = duration.value;
        return option;
      }),
    );
    this.#dismiss = new FormDialog('dismiss', () => actions.dismiss());
    this.#ban = new FormDialog('ban', async () => {
      const days = banDays(this.#banDays.value);
      if (days === undefined) return 'Choose a duration.';
      const reason = checkBanReason(this.#banReason.value);
      if (!reason.ok) {
        this.#banReason.focus();
        return reason.error;
      }
      return actions.ban(days, reason.reason);
    });
    this.#escalate = new FormDialog('escalate', () => actions.escalate(this.#note.value.trim()));
    this.#lift = new FormDialog('lift', () => actions.liftBan());
  }

  get anyOpen(): boolean {
    return this.#dismiss.isOpen || this.#ban.isOpen || this.#escalate.isOpen || this.#lift.isOpen;
  }

  openDismiss(): void {
    this.#dismiss.open(this.#dismiss.confirmButton);
  }

  openBan(): void {
    this.#banDays.value = BAN_DURATIONS[1]?.value ?? '';
    this.#banReason.value = '';
    this.#ban.open(this.#banDays);
  }

  /** `confirming`: another moderator asked for it, this one confirms. */
  openEscalate(confirming: boolean, requestedBy: string | null): void {
    this.#note.value = '';
    this.#escalateTitle.textContent = confirming ? 'Confirm the escalation' : 'Escalate this item';
    this.#escalateExplain.textContent = confirming
      ? `${requestedBy ?? 'Another moderator'} asked for this escalation. Confirming puts the item under legal hold for a year and gives you the incident package for the report.`
      : 'A second moderator must confirm. Once confirmed, the item is under legal hold for a year and the confirming moderator receives the incident package for the report.';
    this.#escalate.confirmButton.textContent = confirming ? 'Confirm escalation' : 'Request escalation';
    this.#escalate.open(this.#note);
  }

  openLift(referenceId: string): void {
    this.#liftExplain.textContent = `Ban ${referenceId} ends now: the address can use Veil again at once. Recorded in the audit log.`;
    this.#lift.open(this.#lift.confirmButton);
  }

  closeAll(): void {
    this.#dismiss.close();
    this.#ban.close();
    this.#escalate.close();
    this.#lift.close();
  }
}
