import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, decide, isHumanFace, moderationPolicySchema, type PolicyInput } from '../../src/moderation/policy.js';

const clean: PolicyInput = {
  hashMatchDistance: null,
  nudity: { Drawing: 0.05, Hentai: 0.01, Neutral: 0.9, Porn: 0.02, Sexy: 0.02 },
  faces: [{ score: 0.9, age: 34.7, ageSpread: 13, descriptorNorm: 12 }],
  userReport: false,
};
const explicit = { Drawing: 0, Hentai: 0.1, Neutral: 0.05, Porn: 0.8, Sexy: 0.05 };

describe('decide', () => {
  it.each<[string, Partial<PolicyInput>, Partial<typeof DEFAULT_POLICY>, ReturnType<typeof decide>]>([
    ['a clean adult: nothing is kept', {}, {}, { action: 'none' }],
    [
      'a hash match at distance 31 ends, bans and holds',
      { hashMatchDistance: 31 },
      {},
      { action: 'end_and_ban', reason: 'csam_hash_match', legalHold: true, purgeSession: false },
    ],
    ['distance 32 is not a match', { hashMatchDistance: 32 }, {}, { action: 'none' }],
    ['a stricter configured distance', { hashMatchDistance: 20 }, { hashMatchMaxDistance: 10 }, { action: 'none' }],
    [
      'a hash match outranks everything else',
      { hashMatchDistance: 0, nudity: explicit, userReport: true },
      {},
      { action: 'end_and_ban', reason: 'csam_hash_match', legalHold: true, purgeSession: false },
    ],
    [
      'a confident minor: age 9, spread 3',
      { faces: [{ score: 0.9, age: 9, ageSpread: 3, descriptorNorm: 12 }] },
      {},
      { action: 'end_and_ban', reason: 'confident_minor', legalHold: false, purgeSession: true },
    ],
    [
      'a low estimate with a wide spread is only uncertain',
      { faces: [{ score: 0.9, age: 12, ageSpread: 10, descriptorNorm: 12 }] },
      {},
      { action: 'review', reason: 'uncertain_minor', blur: false, endPair: false },
    ],
    [
      'under the challenge age goes to review',
      { faces: [{ score: 0.9, age: 23, ageSpread: 5, descriptorNorm: 12 }] },
      {},
      { action: 'review', reason: 'uncertain_minor', blur: false, endPair: false },
    ],
    ['a configured challenge age of 21', { faces: [{ score: 0.9, age: 23, ageSpread: 5, descriptorNorm: 12 }] }, { challengeAge: 21 }, { action: 'none' }],
    ['a weak face detection is ignored', { faces: [{ score: 0.3, age: 9, ageSpread: 1, descriptorNorm: 12 }] }, {}, { action: 'none' }],
    [
      'a weak face descriptor (an animal or an object) is ignored',
      { faces: [{ score: 0.9, age: 9, ageSpread: 1, descriptorNorm: 4.5 }] },
      {},
      { action: 'none' },
    ],
    [
      'a configured lower descriptor norm keeps that face',
      { faces: [{ score: 0.9, age: 9, ageSpread: 1, descriptorNorm: 4.5 }] },
      { minFaceDescriptorNorm: 4 },
      { action: 'end_and_ban', reason: 'confident_minor', legalHold: false, purgeSession: true },
    ],
    [
      'only the human face of two counts (a cat beside a young adult)',
      {
        faces: [
          { score: 0.75, age: 9, ageSpread: 1, descriptorNorm: 4.2 },
          { score: 0.74, age: 22, ageSpread: 10, descriptorNorm: 11.9 },
        ],
      },
      {},
      { action: 'review', reason: 'uncertain_minor', blur: false, endPair: false },
    ],
    [
      'any of several faces counts',
      {
        faces: [
          { score: 0.9, age: 40, ageSpread: 5, descriptorNorm: 12 },
          { score: 0.8, age: 20, ageSpread: 5, descriptorNorm: 12 },
        ],
      },
      {},
      { action: 'review', reason: 'uncertain_minor', blur: false, endPair: false },
    ],
    ['explicit nudity goes to review', { nudity: explicit }, {}, { action: 'review', reason: 'nudity', blur: false, endPair: false }],
    [
      'nudity with blur configured',
      { nudity: explicit },
      { nudityAction: 'review_and_blur' },
      { action: 'review', reason: 'nudity', blur: true, endPair: false },
    ],
    ['nudity ending the pair', { nudity: explicit }, { nudityAction: 'review_and_end' }, { action: 'review', reason: 'nudity', blur: true, endPair: true }],
    ['nudity just under the threshold', { nudity: { Drawing: 0, Hentai: 0.2, Neutral: 0.3, Porn: 0.49, Sexy: 0.01 } }, {}, { action: 'none' }],
    [
      'an uncertain minor outranks nudity',
      { nudity: explicit, faces: [{ score: 0.9, age: 20, ageSpread: 4, descriptorNorm: 12 }] },
      {},
      { action: 'review', reason: 'uncertain_minor', blur: false, endPair: false },
    ],
    [
      'a reported sample goes to review whatever the classifiers say',
      { userReport: true },
      {},
      { action: 'review', reason: 'user_report', blur: false, endPair: false },
    ],
    ['the nudity model did not run', { nudity: null }, {}, { action: 'none' }],
  ])('%s', (_name, input, policy, expected) => {
    expect(decide({ ...clean, ...input }, { ...DEFAULT_POLICY, ...policy })).toEqual(expected);
  });

  it('rejects a policy with an unknown key or a value out of range', () => {
    expect(moderationPolicySchema.safeParse({ ...DEFAULT_POLICY, minFaceDescriptorNorm: -1 }).success).toBe(false);
    expect(moderationPolicySchema.safeParse({ ...DEFAULT_POLICY, challengeAge: 200 }).success).toBe(false);
    expect(moderationPolicySchema.safeParse({ ...DEFAULT_POLICY, blurEverything: true }).success).toBe(false);
    expect(moderationPolicySchema.parse(DEFAULT_POLICY)).toEqual(DEFAULT_POLICY);
  });
});

// Measured on the test photos with the default policy (bench/face-detector.ts, docs/moderation-models.md):
// BlazeFace's score alone cannot tell these apart (a cat 0.75, a man 0.74); the descriptor norm can.
describe('isHumanFace', () => {
  it.each([
    ['astronaut.png', 0.87, 13.52, true],
    ['camera.png (three-quarter view)', 0.74, 11.92, true],
    ['camera.png as the tests sample it (320x240)', 0.78, 11.16, true],
    ['grace_hopper.jpg', 0.9, 15.05, true],
    ['the classic cameraman (lowest human norm seen on an undegraded photo)', 0.75, 7.25, true],
    ['chelsea.png (a cat) at 320 px', 0.75, 4.21, false],
    ['cell.png (microscopy)', 0.7, 3.41, false],
    ['ladybugs.png (highest animal norm)', 0.68, 5.79, false],
    ['coffee.png at 320 px (highest object norm)', 0.57, 5.75, false],
    ['a human descriptor under the score threshold', 0.45, 13, false],
    ['both exactly at their thresholds', 0.5, 6.5, true],
  ])('%s: score %s, descriptor norm %s -> %s', (_name, score, descriptorNorm, expected) => {
    expect(isHumanFace({ score, descriptorNorm }, DEFAULT_POLICY)).toBe(expected);
  });
});
