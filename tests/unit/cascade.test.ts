import { describe, expect, it } from 'vitest';
import { runCascade, type CascadeModels, type Clock } from '../../src/moderation/cascade.js';
import type { FaceResult, NudityResult } from '../../src/moderation/classification.js';
import { HashList } from '../../src/safety/pdq/hash-list.js';
import { pdqHash } from '../../src/safety/pdq/pdq.js';

/**
 * The cascade's order and failure handling, with small fakes of the two model interfaces (the
 * real models run in tests/integration/classifier-pool.test.ts). PDQ and the hash list are real.
 */
const W = 64;
const H = 48;
/** A textured frame (quality 100) and a flat one (quality 0). */
const textured = Uint8Array.from({ length: W * H * 3 }, (_, i) => ((Math.floor(i / 3) % W) * 7 + Math.floor(i / 3 / W) * 13) % 256);
const flat = new Uint8Array(W * H * 3).fill(128);
const texturedHash = pdqHash({ data: textured, width: W, height: H, channels: 3 });
const flatHash = pdqHash({ data: flat, width: W, height: H, channels: 3 });

const SCORES: NudityResult = { Drawing: 0.1, Hentai: 0, Neutral: 0.9, Porn: 0, Sexy: 0 };
const FACE: FaceResult = { box: { x: 1, y: 2, width: 10, height: 10 }, score: 0.9, age: 30, ageSpread: 10, descriptorNorm: 12 };

/** Fake models that record the order in which they ran. */
function fakes(calls: string[], overrides: Partial<CascadeModels> = {}): CascadeModels {
  return {
    hashList: null,
    nudity: {
      modelVersion: 'fake-nudity',
      classify: async () => {
        calls.push('nudity');
        return SCORES;
      },
    },
    faces: {
      modelVersion: 'fake-faces',
      estimate: async () => {
        calls.push('faces');
        return [FACE];
      },
    },
    backend: 'cpu',
    loadErrors: {},
    ...overrides,
  };
}

/** A clock that advances 5 ms per reading, so every stage that ran measures exactly 5 ms. */
function steppingClock(): Clock {
  let now = 0;
  return () => (now += 5);
}

describe('runCascade', () => {
  it('runs PDQ, then nudity, then faces, and reports each stage', async () => {
    const calls: string[] = [];
    const result = await runCascade(fakes(calls), textured, W, H, steppingClock());
    expect(calls).toEqual(['nudity', 'faces']);
    expect(result).toEqual({
      pdq: texturedHash,
      hashMatch: null,
      nudity: SCORES,
      faces: [FACE],
      timingsMs: { pdq: 5, hashList: null, nudity: 5, faces: 5 },
      modelVersions: { nudity: 'fake-nudity', faces: 'fake-faces' },
      backend: 'cpu',
      errors: {},
    });
  });

  it('stops at a hash-list match: no model runs', async () => {
    const calls: string[] = [];
    const hashList = HashList.fromText(`${'f'.repeat(64)}\n${texturedHash.hash}\n`);
    const result = await runCascade(fakes(calls, { hashList }), textured, W, H, steppingClock());
    expect(calls).toEqual([]);
    expect(result.hashMatch).toEqual({ distance: 0, entryLine: 2, entryIndex: 1 });
    expect(result).toMatchObject({ nudity: null, faces: null, timingsMs: { pdq: 5, hashList: 5, nudity: null, faces: null } });
  });

  it('never matches a low-quality hash (quality < 50), so the models still run', async () => {
    expect(flatHash.quality).toBeLessThan(50);
    const calls: string[] = [];
    const hashList = HashList.fromText(`${flatHash.hash}\n`);
    const result = await runCascade(fakes(calls, { hashList }), flat, W, H, steppingClock());
    expect(result.hashMatch).toBeNull();
    expect(calls).toEqual(['nudity', 'faces']);
  });

  it('reports a failing stage in errors and still runs the next one', async () => {
    const calls: string[] = [];
    const broken = { modelVersion: 'fake-nudity', classify: async (): Promise<NudityResult> => Promise.reject(new Error('tensor exploded')) };
    const result = await runCascade(fakes(calls, { nudity: broken }), textured, W, H, steppingClock());
    expect(result.errors).toEqual({ nudity: 'tensor exploded' });
    expect(result.nudity).toBeNull();
    expect(result.timingsMs.nudity).toBe(5);
    expect(result.faces).toEqual([FACE]);
  });

  it('skips models that failed to load, naming why, and keeps the hash check', async () => {
    const calls: string[] = [];
    const hashList = HashList.fromText(`${'0'.repeat(64)}\n`);
    const models = fakes(calls, { hashList, nudity: null, faces: null, backend: null, loadErrors: { backend: 'no wasm', nudity: 'model file missing: x' } });
    const result = await runCascade(models, textured, W, H, steppingClock());
    expect(result.errors).toEqual({ nudity: 'not loaded: model file missing: x', faces: 'not loaded: no wasm' });
    expect(result.timingsMs).toEqual({ pdq: 5, hashList: 5, nudity: null, faces: null });
    expect(result.modelVersions).toEqual({ nudity: null, faces: null });
  });

  it('reports a hash list that failed to load, and a frame PDQ rejects', async () => {
    const calls: string[] = [];
    const result = await runCascade(fakes(calls, { loadErrors: { hashList: 'line 3: not hexadecimal' } }), textured, W, H, steppingClock());
    expect(result.errors).toEqual({ hashList: 'not loaded: line 3: not hexadecimal' });
    const bad = await runCascade(fakes([], { hashList: HashList.fromText('') }), new Uint8Array(5), W, H, steppingClock());
    expect(bad.pdq).toBeNull();
    expect(bad.errors.pdq).toMatch(/data length/);
    expect(bad.errors.hashList).toBe('skipped: no PDQ hash');
  });
});
