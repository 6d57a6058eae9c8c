import { el } from '../dom.js';
import { absoluteTime, machineTime, relativeTime } from './format.js';

/** `<time>` showing "5 minutes ago (2026-05-01 14:03)", machine-readable in `datetime`. */
export function timeElement(at: number, now: number, className?: string): HTMLTimeElement {
  const time = el('time', className, `${relativeTime(at, now)} (${absoluteTime(at)})`);
  time.dateTime = machineTime(at);
  return time;
}
