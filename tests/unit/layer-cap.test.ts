import { describe, expect, it } from 'vitest';
import { framesDecodedOf, qualityNote, type QualityState } from '../../client/src/connection-quality.js';
import { layerCounts, layersNotice, preferredLayers, type ConsumerPurpose } from '../../src/media/layer-cap.js';
import { mediaLayersSchema } from '../../src/protocol/messages.js';

describe('layerCounts', () => {
  it.each([
    ['L3T3', { spatial: 3, temporal: 3 }],
    ['L3T1', { spatial: 3, temporal: 1 }],
    ['L1T3', { spatial: 1, temporal: 3 }],
    ['L2T2_KEY', { spatial: 2, temporal: 2 }],
    ['S3T3', { spatial: 1, temporal: 1 }],
    ['', { spatial: 1, temporal: 1 }],
    [undefined, { spatial: 1, temporal: 1 }],
    ['L0T0', { spatial: 1, temporal: 1 }],
  ])('%s -> %o', (mode, expected) => {
    expect(layerCounts(mode)).toEqual(expected);
  });
});

describe('preferredLayers', () => {
  it.each<[string, ConsumerPurpose, { spatialLayer: number; temporalLayer: number }]>([
    ['L3T3', 'partner', { spatialLayer: 2, temporalLayer: 2 }],
    ['L3T1', 'partner', { spatialLayer: 2, temporalLayer: 0 }],
    ['L3T3', 'frame-tap', { spatialLayer: 2, temporalLayer: 2 }],
    ['L2T3', 'frame-tap', { spatialLayer: 1, temporalLayer: 2 }],
    ['L1T1', 'partner', { spatialLayer: 0, temporalLayer: 0 }],
  ])('%s for %s -> the top', (mode, purpose, expected) => {
    expect(preferredLayers(layerCounts(mode), purpose)).toEqual(expected);
  });
});

describe('layersNotice', () => {
  it.each([
    ['top of three', 'L3T3', { spatialLayer: 2, temporalLayer: 2 }, { spatialLayer: 2, of: 3 }],
    ['lowest of three', 'L3T3', { spatialLayer: 0, temporalLayer: 1 }, { spatialLayer: 0, of: 3 }],
    ['none sent', 'L3T3', undefined, { spatialLayer: null, of: 3 }],
    ['out of range is clamped', 'L2T1', { spatialLayer: 5, temporalLayer: 0 }, { spatialLayer: 1, of: 2 }],
    ['no layers: nothing to say', 'L1T3', { spatialLayer: 0, temporalLayer: 2 }, null],
  ])('%s', (_name, mode, layers, expected) => {
    const notice = layersNotice(layerCounts(mode), layers);
    expect(notice).toEqual(expected);
    if (notice) expect(mediaLayersSchema.safeParse({ type: 'media.layers', ...notice }).success).toBe(true);
  });
});

describe('qualityNote', () => {
  it.each<[string, QualityState, RegExp | '']>([
    ['nothing known', { layer: null, stalledMs: 0, cameraOff: false }, ''],
    ['top layer', { layer: { spatialLayer: 2, of: 3 }, stalledMs: 500, cameraOff: false }, ''],
    ['lower layer', { layer: { spatialLayer: 0, of: 3 }, stalledMs: 0, cameraOff: false }, /lower quality/],
    ['middle layer', { layer: { spatialLayer: 1, of: 3 }, stalledMs: 1000, cameraOff: false }, /lower quality/],
    ['no layer sent but still decoding', { layer: { spatialLayer: null, of: 3 }, stalledMs: 1500, cameraOff: false }, ''],
    ['stalled 2 s exactly', { layer: null, stalledMs: 2000, cameraOff: false }, ''],
    ['stalled over 2 s', { layer: null, stalledMs: 2100, cameraOff: false }, /frozen/],
    ['frozen beats low', { layer: { spatialLayer: 0, of: 3 }, stalledMs: 5000, cameraOff: false }, /frozen/],
    ['camera off: no frames is not frozen', { layer: null, stalledMs: 5000, cameraOff: true }, ''],
    ['camera off on a lower layer: nothing to say', { layer: { spatialLayer: 0, of: 3 }, stalledMs: 0, cameraOff: true }, ''],
  ])('%s', (_name, state, expected) => {
    const note = qualityNote(state);
    if (expected === '') expect(note).toBe('');
    else expect(note).toMatch(expected);
  });
});

describe('framesDecodedOf', () => {
  it.each([
    ['no stats', [], null],
    ['audio only', [{ type: 'inbound-rtp', kind: 'audio', packetsReceived: 5 }], null],
    ['video', [{ type: 'inbound-rtp', kind: 'video', framesDecoded: 42 }, { type: 'transport' }], 42],
  ])('%s', (_name, stats, expected) => {
    expect(framesDecodedOf(stats)).toBe(expected);
  });
});

describe('mediaLayersSchema', () => {
  it.each([
    [{ type: 'media.layers', spatialLayer: 3, of: 3 }],
    [{ type: 'media.layers', spatialLayer: -1, of: 3 }],
    [{ type: 'media.layers', spatialLayer: 1, of: 9 }],
    [{ type: 'media.layers', of: 3 }],
  ])('refuses %o', (message) => {
    expect(mediaLayersSchema.safeParse(message).success).toBe(false);
  });
});
