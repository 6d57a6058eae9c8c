/** Which key does what in which view. Pure: the page turns a keydown into a Command here. */

export type ConsoleView = 'login' | 'queue' | 'item' | 'audit';

export type Command = 'queue-next' | 'queue-previous' | 'item-reveal' | 'item-dismiss' | 'item-ban' | 'item-escalate' | 'item-release';

export interface KeyPress {
  readonly key: string;
  readonly ctrlKey: boolean;
  readonly metaKey: boolean;
  readonly altKey: boolean;
  /** Focus is in a text field, select or other editable element: keys belong to it. */
  readonly inEditable: boolean;
  /** A dialog (ban, escalate, dismiss) is open: it handles its own keys. */
  readonly dialogOpen: boolean;
}

const QUEUE_KEYS: Readonly<Record<string, Command>> = {
  j: 'queue-next',
  ArrowDown: 'queue-next',
  k: 'queue-previous',
  ArrowUp: 'queue-previous',
};

const ITEM_KEYS: Readonly<Record<string, Command>> = {
  r: 'item-reveal',
  d: 'item-dismiss',
  b: 'item-ban',
  e: 'item-escalate',
  Escape: 'item-release',
};

/** The command for a key press, or null when the key is not the console's to handle. */
export function commandFor(view: ConsoleView, press: KeyPress): Command | null {
  if (press.ctrlKey || press.metaKey || press.altKey || press.dialogOpen) return null;
  if (press.inEditable) return null;
  const keys = view === 'queue' ? QUEUE_KEYS : view === 'item' ? ITEM_KEYS : null;
  if (keys === null) return null;
  // Shift is not checked: letters arrive as "J" with Shift or Caps Lock, and mean the same.
  const key = press.key.length === 1 ? press.key.toLowerCase() : press.key;
  return Object.hasOwn(keys, key) ? (keys[key] ?? null) : null;
}

/** The new row index after a j/k move in a list of `count` rows; -1 (nothing focused) starts at an end. */
export function moveIndex(current: number, count: number, command: 'queue-next' | 'queue-previous'): number {
  if (count === 0) return -1;
  if (current < 0 || current >= count) return command === 'queue-next' ? 0 : count - 1;
  return command === 'queue-next' ? Math.min(count - 1, current + 1) : Math.max(0, current - 1);
}
