/**
 * The two health rules, pure (tested as tables in tests/unit/health.test.ts).
 *
 * Liveness (`/healthz`): the process answers and at least one mediasoup worker is alive. Nothing
 * outside the process counts: a Redis outage must not get every node restarted at once.
 *
 * Readiness (`/readyz`): this node should get new chatters: it is serving (not draining), Redis
 * answers, every mediasoup worker is alive, and moderation is turned off or itself `ok`. Each
 * failed condition is named in `reasons`.
 */
import type { NodeState } from '../cluster/node-registry.js';

export interface HealthInputs {
  state: NodeState;
  redisOk: boolean;
  workersAlive: number;
  workers: number;
  /** Null when moderation is turned off in the configuration. */
  moderationStatus: 'ok' | 'degraded' | 'off' | null;
}

export type Liveness = 'ok' | 'down';

export function liveness(inputs: Pick<HealthInputs, 'workersAlive'>): Liveness {
  return inputs.workersAlive > 0 ? 'ok' : 'down';
}

export interface Readiness {
  status: 'ready' | 'not_ready';
  /** Why not, one phrase per failed condition; empty when ready. */
  reasons: string[];
}

export function readiness(inputs: HealthInputs): Readiness {
  const reasons: string[] = [];
  if (inputs.state !== 'serving') reasons.push(`node is ${inputs.state}`);
  if (!inputs.redisOk) reasons.push('Redis does not answer');
  if (inputs.workersAlive === 0) reasons.push('no mediasoup worker is alive');
  else if (inputs.workersAlive < inputs.workers) reasons.push(`${inputs.workers - inputs.workersAlive} of ${inputs.workers} mediasoup workers are down`);
  if (inputs.moderationStatus !== null && inputs.moderationStatus !== 'ok') reasons.push(`moderation is ${inputs.moderationStatus}`);
  return { status: reasons.length === 0 ? 'ready' : 'not_ready', reasons };
}
