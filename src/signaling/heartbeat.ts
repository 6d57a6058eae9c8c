/**
 * What a socket's heartbeat tick does: ping again, or give the peer up because its pong to the last
 * ping did not come. A tick that runs late (this process's event loop was busy for longer than half
 * an interval more than it should) judges no one: Node runs due timers before it reads the sockets,
 * so pongs that arrived during the stall are still unread, and a stall of a few seconds would
 * otherwise cut every healthy socket at once (the churn soak saw 727 of 1,008 go in one stall).
 */
export type HeartbeatVerdict = 'ping' | 'terminate';

/** A tick later than this many intervals after the previous one is late. */
export const LATE_TICK_FACTOR = 1.5;

export function heartbeatVerdict(tick: { ponged: boolean; sinceLastTickMs: number; intervalMs: number }): HeartbeatVerdict {
  if (tick.ponged) return 'ping';
  return tick.sinceLastTickMs > tick.intervalMs * LATE_TICK_FACTOR ? 'ping' : 'terminate';
}
