import { byId, el, setShown } from '../dom.js';
import type { History, ItemDetail } from '../../../src/protocol/console-api.js';
import { itemBadges } from './badges.js';
import { absoluteTime, deadlineUrgency, deviceText, escalateLabel, formatScore, reasonInfo, shortHash } from './format.js';
import { timeElement } from './time-element.js';

/** The item view's text: details, scores, history, badges, the message line and the export link. */
export class ItemView {
  readonly dismiss = byId('item-dismiss', HTMLButtonElement);
  readonly ban = byId('item-ban', HTMLButtonElement);
  readonly escalate = byId('item-escalate', HTMLButtonElement);
  readonly release = byId('item-release', HTMLButtonElement);
  /** Shown to admins while a ban of the history is in force (showLiftBan). */
  readonly liftBan = byId('lift-ban', HTMLButtonElement);
  readonly #title = byId('item-title', HTMLElement);
  readonly #badges = byId('item-badges', HTMLElement);
  readonly #message = byId('item-message', HTMLElement);
  readonly #exportLine = byId('item-export-line', HTMLElement);
  readonly #export = byId('item-export', HTMLAnchorElement);
  readonly #escalateLabel = byId('item-escalate-label', HTMLElement);
  readonly #fields = {
    reason: byId('item-reason', HTMLElement),
    captured: byId('item-captured', HTMLElement),
    stored: byId('item-stored', HTMLElement),
    deadline: byId('item-deadline', HTMLElement),
    hash: byId('item-hash', HTMLElement),
    device: byId('item-device', HTMLElement),
    session: byId('item-session', HTMLElement),
    claim: byId('item-claim', HTMLElement),
    scores: byId('item-scores', HTMLTableSectionElement),
    models: byId('item-models', HTMLTableSectionElement),
    evidence: byId('history-evidence', HTMLUListElement),
    reports: byId('history-reports', HTMLUListElement),
    bans: byId('history-bans', HTMLUListElement),
  };
  #exportUrl: string | null = null;

  /** Empties the view while an item is being opened. */
  reset(id: string): void {
    this.#title.textContent = 'Opening item…';
    this.#title.dataset.id = id;
    this.#badges.replaceChildren();
    for (const field of Object.values(this.#fields)) field.replaceChildren();
    this.#fields.hash.removeAttribute('title');
    this.setMessage('');
    this.clearExport();
    this.showLiftBan(false);
    this.setActionsEnabled(false);
  }

  render(item: ItemDetail, me: string, now: number): void {
    const reason = reasonInfo(item.reason);
    const f = this.#fields;
    this.#title.textContent = reason.label;
    this.#title.dataset.tone = reason.tone;
    this.#badges.replaceChildren(...itemBadges(item, me));
    f.reason.textContent = `${reason.label} (priority ${item.priority})`;
    f.captured.replaceChildren(timeElement(item.capturedAt, now));
    f.stored.replaceChildren(timeElement(item.storedAt, now));
    f.deadline.replaceChildren(timeElement(item.deleteAt, now));
    f.deadline.dataset.urgency = deadlineUrgency(item.deleteAt, now);
    if (item.legalHold) f.deadline.append(' · under legal hold');
    f.hash.textContent = shortHash(item.ipHash);
    f.hash.title = item.ipHash;
    f.hash.setAttribute('aria-label', `Address hash ${item.ipHash}`);
    f.device.textContent = deviceText(item.device);
    f.session.textContent = item.sessionRef;
    this.setClaim(item.claimExpiresAt);
    f.scores.replaceChildren(...tableRows(Object.entries(item.scores).map(([name, score]) => [name, formatScore(score)])));
    f.models.replaceChildren(...tableRows(Object.entries(item.modelVersions)));
    this.#renderHistory(item.history, now);
    this.#escalateLabel.textContent = escalateLabel(item.escalation, me);
    this.setActionsEnabled(true);
    // Escalation sends an image to law enforcement: a bare report has none.
    this.escalate.disabled = item.kind === 'report';
  }

  focusTitle(): void {
    this.#title.focus();
  }

  setClaim(expiresAt: number | null): void {
    this.#fields.claim.textContent = expiresAt === null ? 'none' : `held until ${absoluteTime(expiresAt).slice(11)}`;
  }

  setMessage(text: string, tone: 'info' | 'error' = 'info'): void {
    this.#message.textContent = text;
    this.#message.dataset.tone = tone;
  }

  setActionsEnabled(enabled: boolean): void {
    for (const button of [this.dismiss, this.ban, this.escalate, this.liftBan]) button.disabled = !enabled;
  }

  showLiftBan(shown: boolean): void {
    setShown(this.liftBan, shown);
  }

  /** Offers the incident package as a download (the blob URL lives until the item is left). */
  offerExport(json: string, filename: string): void {
    this.clearExport();
    this.#exportUrl = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
    this.#export.href = this.#exportUrl;
    this.#export.download = filename;
    setShown(this.#exportLine, true);
    this.#export.focus();
  }

  clearExport(): void {
    if (this.#exportUrl !== null) URL.revokeObjectURL(this.#exportUrl);
    this.#exportUrl = null;
    this.#export.href = '#';
    setShown(this.#exportLine, false);
  }

  #renderHistory(history: History, now: number): void {
    const f = this.#fields;
    fillList(
      f.evidence,
      history.evidence.map((e) => historyLine(`${reasonInfo(e.reason).label}, ${e.status.replaceAll('_', ' ')}`, e.capturedAt, now)),
      'No earlier evidence.',
    );
    fillList(
      f.reports,
      history.reports.map((r) => historyLine(`${r.reason.replaceAll('_', ' ')} (${r.referenceId})`, r.createdAt, now)),
      'No reports.',
    );
    fillList(
      f.bans,
      history.bans.map((b) => {
        const until = b.expiresAt === null ? 'permanent' : `until ${absoluteTime(b.expiresAt)}`;
        const lifted = b.liftedAt ? `, lifted ${absoluteTime(b.liftedAt)}` : '';
        return historyLine(`${b.reason}, ${until}, by ${b.by}${lifted} (${b.referenceId})`, b.createdAt, now);
      }),
      'No bans.',
    );
  }
}

function tableRows(rows: readonly (readonly [string, string])[]): HTMLTableRowElement[] {
  if (rows.length === 0) {
    const empty = el('td', 'empty', 'none');
    empty.colSpan = 2;
    const tr = el('tr');
    tr.append(empty);
    return [tr];
  }
  return rows.map(([name, value]) => {
    const tr = el('tr');
    const th = el('th', undefined, name);
    th.scope = 'row';
    tr.append(th, el('td', 'numeric', value));
    return tr;
  });
}

function historyLine(text: string, at: number, now: number): HTMLLIElement {
  const li = el('li', undefined, `${text} · `);
  li.append(timeElement(at, now));
  return li;
}

function fillList(list: HTMLUListElement, items: HTMLLIElement[], emptyText: string): void {
  list.replaceChildren(...(items.length > 0 ? items : [el('li', 'empty', emptyText)]));
}
