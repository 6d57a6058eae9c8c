import { el } from '../dom.js';
import type { QueueItem } from '../../../src/protocol/console-api.js';
import { escalationBadge, escalationState } from './format.js';

/** The small status labels an item carries in the queue and in the item view. */
export function itemBadges(item: QueueItem, me: string): HTMLElement[] {
  const badges: HTMLElement[] = [];
  if (item.kind === 'report') badges.push(badge('no-image', 'Report only, no image'));
  if (item.legalHold) badges.push(badge('hold', 'Legal hold'));
  if (item.claimedBy !== null) {
    badges.push(badge('claimed', item.claimedBy === me ? 'Claimed by you' : `Claimed by ${item.claimedBy}`));
  }
  const escalation = escalationBadge(item.escalation);
  if (escalation !== null) badges.push(badge(`escalation-${escalationState(item.escalation)}`, escalation));
  return badges;
}

function badge(kind: string, text: string): HTMLElement {
  const element = el('span', 'badge', text);
  element.dataset.badge = kind;
  return element;
}
