import { describe, expect, it } from 'vitest';
import { heartbeatVerdict, type HeartbeatVerdict } from '../../src/signaling/heartbeat.js';

describe('heartbeatVerdict', () => {
  it.each<[string, { ponged: boolean; sinceLastTickMs: number }, HeartbeatVerdict]>([
    ['the pong came: ping again', { ponged: true, sinceLastTickMs: 2000 }, 'ping'],
    ['the pong came, tick late: ping again', { ponged: true, sinceLastTickMs: 9000 }, 'ping'],
    ['no pong, tick on time: the peer is gone', { ponged: false, sinceLastTickMs: 2000 }, 'terminate'],
    ['no pong, tick a little late (timer jitter): gone', { ponged: false, sinceLastTickMs: 2900 }, 'terminate'],
    ['no pong, tick late after a stall: the pong may be unread, ping again', { ponged: false, sinceLastTickMs: 3100 }, 'ping'],
    ['no pong, a stall of seconds: ping again', { ponged: false, sinceLastTickMs: 12_000 }, 'ping'],
  ])('%s', (_name, tick, expected) => {
    expect(heartbeatVerdict({ ...tick, intervalMs: 2000 })).toBe(expected);
  });
});
