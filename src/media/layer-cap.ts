import type { types } from 'mediasoup';

/** Spatial and temporal layer counts of a consumer's stream, from its scalability mode ("L3T3"). */
export interface LayerCounts {
  spatial: number;
  temporal: number;
}

/** Who a consumer is for: a chatter's browser (bandwidth-estimated) or the moderation frame tap. */
export type ConsumerPurpose = 'partner' | 'frame-tap';

/** Reads "L<s>T<t>" (with an optional suffix such as _KEY); one layer each when absent or unreadable. */
export function layerCounts(scalabilityMode: string | undefined): LayerCounts {
  const match = /^L(\d+)T(\d+)/.exec(scalabilityMode ?? '');
  const spatial = match ? Number(match[1]) : 1;
  const temporal = match ? Number(match[2]) : 1;
  return { spatial: Math.max(1, spatial), temporal: Math.max(1, temporal) };
}

/**
 * The layers a consumer asks mediasoup for. Both purposes want the top: for a partner, mediasoup
 * then sends the highest layer that fits the receiver's bandwidth estimate (transport-cc) and steps
 * down and back up on its own; the frame tap has no estimate and gets the top layer, so moderation
 * always sees the sharpest picture the sender makes.
 */
export function preferredLayers(counts: LayerCounts, purpose: ConsumerPurpose): types.ConsumerLayers {
  switch (purpose) {
    case 'partner':
    case 'frame-tap':
      return { spatialLayer: counts.spatial - 1, temporalLayer: counts.temporal - 1 };
    default: {
      const unreachable: never = purpose;
      throw new Error(`unknown consumer purpose ${String(unreachable)}`);
    }
  }
}

/**
 * What to tell the receiving browser after a `layerschange`: the spatial layer now sent (null: none,
 * the link carries not even the lowest) out of how many. Nothing for a stream without layers.
 */
export function layersNotice(counts: LayerCounts, layers: types.ConsumerLayers | undefined): { spatialLayer: number | null; of: number } | null {
  if (counts.spatial < 2) return null;
  return { spatialLayer: layers ? Math.min(layers.spatialLayer, counts.spatial - 1) : null, of: counts.spatial };
}

/** The layer counts of a consumer (its one encoding carries the producer's scalability mode). */
export function consumerLayerCounts(consumer: Pick<types.Consumer, 'rtpParameters'>): LayerCounts {
  return layerCounts(consumer.rtpParameters.encodings?.[0]?.scalabilityMode);
}
