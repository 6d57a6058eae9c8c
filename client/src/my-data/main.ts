/**
 * The My data page: what Veil holds about the keyed hash of this connection's address, and the
 * "Delete my data" request. The theme toggle comes from app.js, which the page also loads.
 */
import { byId, el, setShown } from '../dom.js';
import type { Holdings } from '../../../src/protocol/privacy-api.js';
import { PrivacyApiError, eraseMyData, fetchHoldings } from './api.js';
import { deletedSummary, eraseOutcome, keptSummary } from './format.js';
import { HoldingsView } from './holdings-view.js';

function main(): void {
  const view = new HoldingsView();
  const erase = byId('erase', HTMLButtonElement);
  const dialog = byId('erase-dialog', HTMLDialogElement);
  const confirm = byId('erase-confirm', HTMLButtonElement);
  const cancel = byId('erase-cancel', HTMLButtonElement);
  const willDelete = byId('erase-deletes', HTMLParagraphElement);
  const willKeep = byId('erase-keeps', HTMLUListElement);
  const result = byId('erase-result', HTMLDivElement);
  let current: Holdings | null = null;

  const load = async (): Promise<void> => {
    view.loading();
    erase.disabled = true;
    try {
      current = await fetchHoldings();
      view.show(current);
      erase.disabled = false;
    } catch (error) {
      view.failed(messageOf(error));
    }
  };

  erase.addEventListener('click', () => {
    if (!current) return;
    willDelete.textContent = deletedSummary(current);
    const kept = keptSummary(current);
    willKeep.replaceChildren(...(kept.length > 0 ? kept : ['Nothing is kept.']).map((line) => el('li', undefined, line)));
    dialog.showModal();
  });
  cancel.addEventListener('click', () => dialog.close());
  confirm.addEventListener('click', () => {
    dialog.close();
    void (async () => {
      erase.disabled = true;
      showResult(result, 'Deleting…', false);
      try {
        showResult(result, eraseOutcome(await eraseMyData()), false);
      } catch (error) {
        showResult(result, messageOf(error), true);
      }
      await load();
    })();
  });

  void load();
}

function showResult(box: HTMLDivElement, text: string, failed: boolean): void {
  box.textContent = text;
  box.classList.toggle('failed', failed);
  setShown(box, true);
}

function messageOf(error: unknown): string {
  return error instanceof PrivacyApiError ? error.message : 'Something went wrong in this page. Reload it and try again.';
}

main();
