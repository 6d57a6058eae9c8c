import { byId, el, setShown } from '../dom.js';
import type { AuditEntry } from '../../../src/protocol/console-api.js';
import { absoluteTimeWithSeconds, auditDetailText, machineTime } from './format.js';

/** The audit log table (admins only), newest first; "Older entries" appends the next page. */
export class AuditView {
  readonly newest = byId('audit-newest', HTMLButtonElement);
  readonly older = byId('audit-older', HTMLButtonElement);
  readonly #title = byId('audit-title', HTMLElement);
  readonly #entries = byId('audit-entries', HTMLTableSectionElement);
  readonly #message = byId('audit-message', HTMLElement);
  #lastId: string | undefined;

  /** Id of the oldest entry shown: the `before` of the next page. */
  get oldestId(): string | undefined {
    return this.#lastId;
  }

  /** `append`: add below the rows shown (paging) instead of replacing them. */
  render(entries: readonly AuditEntry[], append: boolean, pageSize: number): void {
    const rows = entries.map(auditRow);
    if (append) this.#entries.append(...rows);
    else this.#entries.replaceChildren(...rows);
    if (entries.length > 0) this.#lastId = entries[entries.length - 1]?.id;
    else if (!append) this.#lastId = undefined;
    setShown(this.older, entries.length >= pageSize);
    if (!append && entries.length === 0) this.setMessage('The audit log is empty.');
  }

  setMessage(text: string): void {
    this.#message.textContent = text;
  }

  setBusy(busy: boolean): void {
    this.newest.disabled = busy;
    this.older.disabled = busy;
  }

  focusTitle(): void {
    this.#title.focus();
  }
}

function auditRow(entry: AuditEntry): HTMLTableRowElement {
  const tr = el('tr', 'audit-entry');
  tr.dataset.action = entry.action;
  tr.dataset.id = entry.id;
  const timeCell = el('td');
  const time = el('time', undefined, absoluteTimeWithSeconds(entry.at));
  time.dateTime = machineTime(entry.at);
  timeCell.append(time);
  const action = el('td');
  action.append(el('span', 'action-name', entry.action.replaceAll('_', ' ')));
  tr.append(timeCell, el('td', undefined, entry.actor), action, el('td', 'target', entry.target ?? ''), el('td', 'detail', auditDetailText(entry.detail)));
  return tr;
}
