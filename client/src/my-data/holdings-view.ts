import { byId, el, setShown } from '../dom.js';
import type { BanHolding, EvidenceHolding, Holdings, ReportHolding } from '../../../src/protocol/privacy-api.js';
import { formatTime } from './format.js';

/** Renders the lists of what Veil holds (#holdings-bans, #holdings-evidence, #holdings-reports). */
export class HoldingsView {
  readonly #root = byId('holdings', HTMLElement);
  readonly #status = byId('holdings-status', HTMLParagraphElement);
  readonly #empty = byId('holdings-empty', HTMLParagraphElement);
  readonly #bans = byId('holdings-bans', HTMLUListElement);
  readonly #evidence = byId('holdings-evidence', HTMLUListElement);
  readonly #reports = byId('holdings-reports', HTMLUListElement);

  loading(): void {
    this.#root.setAttribute('aria-busy', 'true');
    this.#status.textContent = 'Looking up what Veil holds about this connection…';
    setShown(this.#status, true);
  }

  failed(message: string): void {
    this.#root.removeAttribute('aria-busy');
    this.#status.textContent = message;
    setShown(this.#status, true);
  }

  show(holdings: Holdings): void {
    this.#root.removeAttribute('aria-busy');
    setShown(this.#status, false);
    const nothing = holdings.bans.length + holdings.evidence.length + holdings.reports.length === 0;
    setShown(this.#empty, nothing);
    fill(this.#bans, holdings.bans.map(banItem), 'No bans.');
    fill(this.#evidence, holdings.evidence.map(evidenceItem), 'No evidence.');
    fill(this.#reports, holdings.reports.map(reportItem), 'No reports.');
  }
}

function fill(list: HTMLUListElement, items: HTMLLIElement[], none: string): void {
  list.replaceChildren(...(items.length > 0 ? items : [el('li', 'none', none)]));
}

function item(title: string, lines: string[]): HTMLLIElement {
  const li = el('li', 'holding');
  li.append(el('strong', undefined, title));
  for (const line of lines) li.append(el('br'), document.createTextNode(line));
  return li;
}

function banItem(ban: BanHolding): HTMLLIElement {
  return item(`Ban ${ban.referenceId}: ${ban.reasonClass}`, [
    `Started ${formatTime(ban.createdAt)}; ${ban.inForce ? 'in force until' : 'ended'} ${formatTime(ban.expiresAt)}.`,
    ban.inForce
      ? 'Kept when you delete your data: it protects other people, and is deleted when it ends.'
      : 'An earlier ban, remembered for moderators for a year after it ended.',
  ]);
}

function evidenceItem(evidence: EvidenceHolding): HTMLLIElement {
  return item(`Video frame (${evidence.reason})`, [
    `Captured ${formatTime(evidence.capturedAt)}; deleted by ${formatTime(evidence.deleteAt)}.`,
    evidence.keptBecause ? `Kept when you delete your data: ${evidence.keptBecause}.` : 'Deleted at once when you delete your data.',
  ]);
}

function reportItem(report: ReportHolding): HTMLLIElement {
  const title = report.role === 'filed' ? `A report you filed: ${report.reason}` : `A report about this connection: ${report.reason}`;
  return item(title, [`Reference ${report.referenceId}, made ${formatTime(report.createdAt)}; deleted by ${formatTime(report.deleteAt)}.`]);
}
