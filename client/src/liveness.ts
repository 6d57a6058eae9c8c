/**
 * Whether the chat socket still works, judged by the page from silence alone: the server sends
 * something at least every `aliveEveryMs` (an `alive` frame when it has nothing else), so a socket
 * silent for much longer is dead even though the browser still shows it open (a network that went
 * away without a FIN or RST: TCP would take minutes to notice). Pure, tested as a table.
 */
export type LivenessVerdict = 'alive' | 'dead' | 'unsure';

/** Silence for this many of the server's intervals means the socket is dead. */
export const DEAD_AFTER_INTERVALS = 3.5;
/** A check that ran this many check intervals late judges nothing (the page was frozen or throttled). */
export const LATE_CHECK_FACTOR = 2;

/** A new socket not welcomed this soon is given up and opened again (its SYN may be lost in a dead network). */
export const WELCOME_TIMEOUT_MS = 10_000;
/** The same while resuming: the grace is short, and a fresh SYN gets through as soon as the link is back. */
export const RESUME_WELCOME_TIMEOUT_MS = 2_500;

export interface LivenessCheck {
  /** Since the last frame of any kind arrived on this socket. */
  sinceLastFrameMs: number;
  /** Since the previous check ran (checks are meant to run every `checkEveryMs`). */
  sinceLastCheckMs: number;
  checkEveryMs: number;
  /** The server's promise, from `welcome`. */
  aliveEveryMs: number;
}

export function livenessVerdict(check: LivenessCheck): LivenessVerdict {
  if (check.sinceLastFrameMs <= check.aliveEveryMs * DEAD_AFTER_INTERVALS) return 'alive';
  // A page whose timers were held back (a frozen tab, a busy main thread) has not been listening
  // either: frames may be queued unread. Judge at the next check on time.
  if (check.sinceLastCheckMs > check.checkEveryMs * LATE_CHECK_FACTOR) return 'unsure';
  return 'dead';
}
