import { z } from 'zod';
import type { Config } from '../config/schema.js';

/**
 * What happens to a classified sample is configuration, not code: this schema is the policy, and
 * decide() is a pure function of a sample's findings and the policy (tested as a table of cases).
 */
export const moderationPolicySchema = z
  .object({
    /** PDQ distance at or under which a frame matches a listed hash (Meta's recommendation: 31). */
    hashMatchMaxDistance: z.number().int().min(0).max(64),
    /** Faces scored under this by the detector are ignored. */
    minFaceScore: z.number().min(0).max(1),
    /**
     * Faces whose faceres descriptor (1024-d) has an L2 norm under this are ignored too: BlazeFace's
     * score alone takes a cat for a face (0.75, above a man's 0.74), the norm does not (animals and
     * objects at most 5.97, human faces at least 7.25 on the photos measured; docs/moderation-models.md).
     */
    minFaceDescriptorNorm: z.number().min(0),
    /** An age estimate under this sends the sample to review (challenge age). */
    challengeAge: z.number().min(0).max(100),
    /** A face is a *confident* minor only if age + spreadFactor × spread is still under adultAge. */
    adultAge: z.number().min(0).max(100),
    confidentMinorSpreadFactor: z.number().min(0).max(10),
    /** Porn + Hentai at or over this is explicit nudity. */
    nudityThreshold: z.number().min(0).max(1),
    /** What explicit nudity does besides queueing the sample for review. */
    nudityAction: z.enum(['review', 'review_and_blur', 'review_and_end']),
  })
  .strict();
export type ModerationPolicy = z.infer<typeof moderationPolicySchema>;

export const DEFAULT_POLICY: ModerationPolicy = {
  hashMatchMaxDistance: 31,
  minFaceScore: 0.5,
  minFaceDescriptorNorm: 6.5,
  challengeAge: 25,
  adultAge: 18,
  confidentMinorSpreadFactor: 2,
  nudityThreshold: 0.7,
  nudityAction: 'review',
};

/** The policy from the flat configuration keys of the same names. */
export function policyFromConfig(config: Config): ModerationPolicy {
  return moderationPolicySchema.parse({
    hashMatchMaxDistance: config.hashMatchMaxDistance,
    minFaceScore: config.minFaceScore,
    minFaceDescriptorNorm: config.minFaceDescriptorNorm,
    challengeAge: config.challengeAge,
    adultAge: config.adultAge,
    confidentMinorSpreadFactor: config.confidentMinorSpreadFactor,
    nudityThreshold: config.nudityThreshold,
    nudityAction: config.nudityAction,
  });
}

/** A detected face as the policy sees it (`FaceResult` without its box). */
export interface PolicyFace {
  score: number;
  age: number;
  ageSpread: number;
  /** L2 norm of faceres' face descriptor. */
  descriptorNorm: number;
}

/**
 * Whether a detection counts as a human face: a confident detector and a face descriptor strong
 * enough to be a person's. Only such faces reach the age rules; the others are ignored.
 */
export function isHumanFace(
  face: Pick<PolicyFace, 'score' | 'descriptorNorm'>,
  policy: Pick<ModerationPolicy, 'minFaceScore' | 'minFaceDescriptorNorm'>,
): boolean {
  return face.score >= policy.minFaceScore && face.descriptorNorm >= policy.minFaceDescriptorNorm;
}

/** The findings the policy looks at. */
export interface PolicyInput {
  /** PDQ distance to the nearest listed hash, or null (no match, or quality too low to match). */
  hashMatchDistance: number | null;
  /** nsfwjs class scores, or null when the nudity model did not run. */
  nudity: Readonly<Record<'Drawing' | 'Hentai' | 'Neutral' | 'Porn' | 'Sexy', number>> | null;
  faces: readonly PolicyFace[];
  /** The sample was taken because the partner pressed Report. */
  userReport: boolean;
}

export type FlagReason = 'csam_hash_match' | 'confident_minor' | 'uncertain_minor' | 'nudity' | 'user_report';

export type Decision =
  | { action: 'none' }
  | {
      /** End the connection now and ban the keyed address hash. */
      action: 'end_and_ban';
      reason: 'csam_hash_match' | 'confident_minor';
      /** Keep the evidence under legal hold (hash matches). */
      legalHold: boolean;
      /** Delete everything else about the session (confident minor: seed policy). */
      purgeSession: boolean;
    }
  | { action: 'review'; reason: 'uncertain_minor' | 'nudity' | 'user_report'; blur: boolean; endPair: boolean };

/** The most serious finding wins: hash match, confident minor, uncertain minor, nudity, report. */
export function decide(input: PolicyInput, policy: ModerationPolicy): Decision {
  if (input.hashMatchDistance !== null && input.hashMatchDistance <= policy.hashMatchMaxDistance) {
    return { action: 'end_and_ban', reason: 'csam_hash_match', legalHold: true, purgeSession: false };
  }
  const faces = input.faces.filter((face) => isHumanFace(face, policy));
  if (faces.some((face) => face.age + policy.confidentMinorSpreadFactor * face.ageSpread < policy.adultAge)) {
    return { action: 'end_and_ban', reason: 'confident_minor', legalHold: false, purgeSession: true };
  }
  if (faces.some((face) => face.age < policy.challengeAge)) {
    return { action: 'review', reason: 'uncertain_minor', blur: false, endPair: false };
  }
  const explicit = input.nudity !== null && input.nudity.Porn + input.nudity.Hentai >= policy.nudityThreshold;
  if (explicit) {
    return {
      action: 'review',
      reason: 'nudity',
      blur: policy.nudityAction !== 'review',
      endPair: policy.nudityAction === 'review_and_end',
    };
  }
  if (input.userReport) return { action: 'review', reason: 'user_report', blur: false, endPair: false };
  return { action: 'none' };
}
