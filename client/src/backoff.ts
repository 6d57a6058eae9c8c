/** Reconnect timing, kept pure so it can be tested as a table of cases. */

export const RECONNECT_BASE_MS = 1_000;
export const RECONNECT_MAX_MS = 15_000;
/** Spread of the random jitter: 0.2 means ±20 %, so a restarted server is not hit by everyone at once. */
export const RECONNECT_JITTER = 0.2;

/**
 * Delay before reconnect attempt number `attempt` (0-based): 1 s, 2 s, 4 s, 8 s, then 15 s, each
 * spread by ±20 % with `random` (a number in [0, 1); 0.5 gives the exact value), never above 15 s.
 */
export function reconnectDelayMs(attempt: number, random = 0.5): number {
  const exponent = Math.max(0, Math.min(Math.floor(attempt), 16));
  const base = Math.min(RECONNECT_BASE_MS * 2 ** exponent, RECONNECT_MAX_MS);
  const jittered = base * (1 + RECONNECT_JITTER * (2 * random - 1));
  return Math.round(Math.min(jittered, RECONNECT_MAX_MS));
}
