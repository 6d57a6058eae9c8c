import { describe, expect, it } from 'vitest';
import { healthStatus, type HealthInputs } from '../../src/http/health.js';

const healthy: HealthInputs = { redisOk: true, workersAlive: 2, workers: 2, moderationStatus: 'ok' };

describe('healthStatus', () => {
  it.each<{ name: string; inputs: Partial<HealthInputs>; status: 'ok' | 'degraded' }>([
    { name: 'everything up', inputs: {}, status: 'ok' },
    { name: 'moderation turned off', inputs: { moderationStatus: null }, status: 'ok' },
    { name: 'Redis down', inputs: { redisOk: false }, status: 'degraded' },
    { name: 'one worker dead', inputs: { workersAlive: 1 }, status: 'degraded' },
    { name: 'no worker at all', inputs: { workersAlive: 0, workers: 0 }, status: 'degraded' },
    { name: 'moderation degraded', inputs: { moderationStatus: 'degraded' }, status: 'degraded' },
    { name: 'moderation service reports off', inputs: { moderationStatus: 'off' }, status: 'degraded' },
  ])('$name -> $status', ({ inputs, status }) => {
    expect(healthStatus({ ...healthy, ...inputs })).toBe(status);
  });
});
