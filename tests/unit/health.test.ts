import { describe, expect, it } from 'vitest';
import { liveness, readiness, type HealthInputs } from '../../src/http/health.js';

const healthy: HealthInputs = { state: 'serving', redisOk: true, workersAlive: 2, workers: 2, moderationStatus: 'ok' };

describe('readiness', () => {
  it.each<{ name: string; inputs: Partial<HealthInputs>; reasons: string[] }>([
    { name: 'everything up', inputs: {}, reasons: [] },
    { name: 'moderation turned off', inputs: { moderationStatus: null }, reasons: [] },
    { name: 'draining', inputs: { state: 'draining' }, reasons: ['node is draining'] },
    { name: 'Redis down', inputs: { redisOk: false }, reasons: ['Redis does not answer'] },
    { name: 'one worker dead', inputs: { workersAlive: 1 }, reasons: ['1 of 2 mediasoup workers are down'] },
    { name: 'no worker at all', inputs: { workersAlive: 0, workers: 0 }, reasons: ['no mediasoup worker is alive'] },
    { name: 'moderation degraded', inputs: { moderationStatus: 'degraded' }, reasons: ['moderation is degraded'] },
    { name: 'moderation service reports off', inputs: { moderationStatus: 'off' }, reasons: ['moderation is off'] },
    { name: 'draining with Redis down', inputs: { state: 'draining', redisOk: false }, reasons: ['node is draining', 'Redis does not answer'] },
  ])('$name', ({ inputs, reasons }) => {
    expect(readiness({ ...healthy, ...inputs })).toEqual({ status: reasons.length === 0 ? 'ready' : 'not_ready', reasons });
  });
});

describe('liveness', () => {
  it.each<{ name: string; inputs: Partial<HealthInputs>; status: 'ok' | 'down' }>([
    { name: 'everything up', inputs: {}, status: 'ok' },
    { name: 'Redis down does not fail liveness', inputs: { redisOk: false }, status: 'ok' },
    { name: 'draining is alive', inputs: { state: 'draining' }, status: 'ok' },
    { name: 'moderation degraded is alive', inputs: { moderationStatus: 'degraded' }, status: 'ok' },
    { name: 'one worker left is alive', inputs: { workersAlive: 1 }, status: 'ok' },
    { name: 'no worker alive', inputs: { workersAlive: 0 }, status: 'down' },
  ])('$name -> $status', ({ inputs, status }) => {
    expect(liveness({ ...healthy, ...inputs })).toBe(status);
  });
});
