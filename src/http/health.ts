/**
 * The ok/degraded rule of `/healthz`, pure (tested as a table in tests/unit/health.test.ts): the
 * node is `ok` only when Redis answers, every mediasoup worker is alive (and there is at least one),
 * and moderation is either turned off or itself `ok`. Anything else is `degraded` (HTTP 503).
 */
export interface HealthInputs {
  redisOk: boolean;
  workersAlive: number;
  workers: number;
  /** Null when moderation is turned off in the configuration. */
  moderationStatus: 'ok' | 'degraded' | 'off' | null;
}

export type HealthStatus = 'ok' | 'degraded';

export function healthStatus(inputs: HealthInputs): HealthStatus {
  const workersOk = inputs.workersAlive > 0 && inputs.workersAlive === inputs.workers;
  const moderationOk = inputs.moderationStatus === null || inputs.moderationStatus === 'ok';
  return inputs.redisOk && workersOk && moderationOk ? 'ok' : 'degraded';
}
