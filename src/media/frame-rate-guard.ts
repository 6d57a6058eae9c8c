import type { types } from 'mediasoup';
import type { LayerCounts } from './layer-cap.js';

/**
 * Which a receiver on a narrow link gets when both cannot fit: the partner's full frame rate at a
 * smaller picture ('framerate', the default), or mediasoup's own choice, the largest picture at
 * whatever frame rate fits ('resolution'). mediasoup picks the highest spatial layer first, so on a
 * 300 kbit/s link it sent 640 px at 5 frames/s (its lowest temporal layer) rather than 320 px at 20.
 */
export type LayerPreference = 'framerate' | 'resolution';

/** A reduced frame rate must last this long before the cap comes down (a ramp-up passes through it). */
export const SETTLE_MS = 2000;
/** How long the first cap holds before it is lifted again; each failed lift doubles it, up to MAX_HOLD_MS. */
export const BASE_HOLD_MS = 8000;
export const MAX_HOLD_MS = 60_000;

/** What the guard of one partner consumer knows. */
export interface FrameRateGuard {
  /** The consumer's layers as mediasoup last reported them (undefined: sending none). */
  layers: types.ConsumerLayers | undefined;
  /** The highest spatial layer the consumer may send. */
  cap: number;
  /** Since when the consumer has sent a spatial layer above the lowest at a reduced frame rate. */
  reducedSinceMs: number | null;
  /** When the cap goes up by one spatial layer (null: not capped). */
  liftAtMs: number | null;
  /** How long the next cap holds. */
  holdMs: number;
}

export type GuardInput = { kind: 'layers'; layers: types.ConsumerLayers | undefined } | { kind: 'tick' };

export function initialGuard(counts: LayerCounts): FrameRateGuard {
  return { layers: undefined, cap: counts.spatial - 1, reducedSinceMs: null, liftAtMs: null, holdMs: BASE_HOLD_MS };
}

/** Spatial layer above the lowest, temporal layer below the top: a sharper picture at fewer frames. */
function reduced(counts: LayerCounts, layers: types.ConsumerLayers | undefined): boolean {
  return layers !== undefined && layers.spatialLayer > 0 && (layers.temporalLayer ?? counts.temporal - 1) < counts.temporal - 1;
}

/**
 * The guard after `input` at `nowMs`. A spatial layer above the lowest sent at a reduced frame rate
 * for SETTLE_MS caps the consumer one spatial layer lower (mediasoup then fits the full frame rate
 * there, if the link carries it). The cap is lifted one layer after holdMs, which doubles each time
 * the lifted layer falls back to a reduced frame rate; a lift that holds lifts again after
 * BASE_HOLD_MS, and reaching the top resets the hold.
 */
export function stepGuard(counts: LayerCounts, guard: FrameRateGuard, input: GuardInput, nowMs: number): FrameRateGuard {
  const top = counts.spatial - 1;
  let next = guard;
  if (input.kind === 'layers') {
    const isReduced = reduced(counts, input.layers);
    next = { ...next, layers: input.layers, reducedSinceMs: isReduced ? (next.reducedSinceMs ?? nowMs) : null };
  }
  if (next.reducedSinceMs !== null && nowMs - next.reducedSinceMs >= SETTLE_MS && next.layers) {
    return {
      ...next,
      cap: Math.max(0, Math.min(next.cap, next.layers.spatialLayer - 1)),
      reducedSinceMs: null,
      liftAtMs: nowMs + next.holdMs,
      holdMs: Math.min(next.holdMs * 2, MAX_HOLD_MS),
    };
  }
  if (next.liftAtMs !== null && nowMs >= next.liftAtMs) {
    const cap = Math.min(top, next.cap + 1);
    return cap >= top ? { ...next, cap, liftAtMs: null, holdMs: BASE_HOLD_MS } : { ...next, cap, liftAtMs: nowMs + BASE_HOLD_MS };
  }
  return next;
}

/** When the guard must next be stepped with a tick (null: only a layers change can move it). */
export function nextTickMs(guard: FrameRateGuard): number | null {
  const settle = guard.reducedSinceMs === null ? null : guard.reducedSinceMs + SETTLE_MS;
  if (settle === null) return guard.liftAtMs;
  return guard.liftAtMs === null ? settle : Math.min(settle, guard.liftAtMs);
}

/** The layers to prefer for a consumer under `guard`: its cap, at the top frame rate. */
export function guardedLayers(counts: LayerCounts, guard: FrameRateGuard): types.ConsumerLayers {
  return { spatialLayer: guard.cap, temporalLayer: counts.temporal - 1 };
}
