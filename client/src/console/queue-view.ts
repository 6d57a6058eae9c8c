import { byId, el } from '../dom.js';
import type { Queue, QueueItem } from '../../../src/protocol/console-api.js';
import { itemBadges } from './badges.js';
import { absoluteTime, deadlineUrgency, queueCountText, reasonInfo } from './format.js';
import { moveIndex } from './keyboard.js';
import { timeElement } from './time-element.js';

/** The review queue: one row per item, in the server's order (priority, then oldest first). */
export class QueueView {
  readonly refresh = byId('queue-refresh', HTMLButtonElement);
  readonly #title = byId('queue-title', HTMLElement);
  readonly #list = byId('queue-list', HTMLOListElement);
  readonly #count = byId('queue-count', HTMLElement);
  readonly #updated = byId('queue-updated', HTMLElement);
  readonly #message = byId('queue-message', HTMLElement);
  #items: QueueItem[] = [];

  constructor(onOpen: (item: QueueItem) => void) {
    this.#list.addEventListener('click', (event) => {
      const row = event.target instanceof Element ? event.target.closest<HTMLElement>('.queue-item') : null;
      const item = this.#items.find((candidate) => candidate.id === row?.dataset.id);
      if (item) onOpen(item);
    });
  }

  /** Replaces the rows, keeping focus on the same item when it is still listed. */
  render(queue: Queue, me: string, now: number): void {
    const focusedId = this.#focusedRow()?.dataset.id;
    this.#items = queue.items;
    this.#list.replaceChildren(
      ...queue.items.map((item) => {
        const li = el('li');
        li.append(row(item, me, now));
        return li;
      }),
    );
    this.#count.textContent = queueCountText(queue.items.length, queue.total);
    this.#updated.textContent = `Updated ${absoluteTime(now).slice(11)}`;
    if (focusedId !== undefined)
      this.#rows()
        .find((r) => r.dataset.id === focusedId)
        ?.focus();
  }

  /** Moves focus to the next / previous row (j / k). */
  move(command: 'queue-next' | 'queue-previous'): void {
    const rows = this.#rows();
    const current = rows.findIndex((r) => r === document.activeElement);
    const next = moveIndex(current, rows.length, command);
    rows[next]?.focus();
    rows[next]?.scrollIntoView({ block: 'nearest' });
  }

  setMessage(text: string): void {
    this.#message.textContent = text;
  }

  setBusy(busy: boolean): void {
    this.refresh.disabled = busy;
    this.#list.setAttribute('aria-busy', String(busy));
  }

  /** Focus for arriving in the view: the row of the item just left, else the first, else the title. */
  focus(itemId?: string): void {
    const rows = this.#rows();
    const target = rows.find((r) => r.dataset.id === itemId) ?? rows[0] ?? this.#title;
    target.focus();
  }

  #rows(): HTMLElement[] {
    return [...this.#list.querySelectorAll<HTMLElement>('.queue-item')];
  }

  #focusedRow(): HTMLElement | undefined {
    return this.#rows().find((r) => r === document.activeElement);
  }
}

function row(item: QueueItem, me: string, now: number): HTMLButtonElement {
  const reason = reasonInfo(item.reason);
  const button = el('button', 'queue-item');
  button.type = 'button';
  button.dataset.id = item.id;
  button.dataset.reason = item.reason;
  button.dataset.tone = reason.tone;

  const head = el('span', 'queue-reason');
  head.append(el('span', 'tone-dot'), el('span', undefined, reason.label));

  const captured = el('span', 'queue-time', 'Captured ');
  captured.append(timeElement(item.capturedAt, now));

  const deadline = el('span', 'queue-deadline', 'Delete ');
  deadline.dataset.urgency = deadlineUrgency(item.deleteAt, now);
  deadline.append(timeElement(item.deleteAt, now));

  const badges = el('span', 'badges');
  badges.append(...itemBadges(item, me));

  button.append(head, captured, deadline, badges);
  return button;
}
