import type { Classification } from './classification.js';
import type { PolicyInput } from './policy.js';

/** The policy's view of a classified sample. */
export function policyInput(classification: Classification, userReport: boolean): PolicyInput {
  return {
    hashMatchDistance: classification.hashMatch?.distance ?? null,
    nudity: classification.nudity,
    faces: (classification.faces ?? []).map((face) => ({ score: face.score, age: face.age, ageSpread: face.ageSpread, descriptorNorm: face.descriptorNorm })),
    userReport,
  };
}

/** Flat scores kept with evidence: PDQ quality and match distance, nudity classes, each face. */
export function evidenceScores(classification: Classification): Record<string, number> {
  const scores: Record<string, number> = {};
  if (classification.pdq) scores.pdqQuality = classification.pdq.quality;
  if (classification.hashMatch) scores.hashMatchDistance = classification.hashMatch.distance;
  for (const [name, value] of Object.entries(classification.nudity ?? {}) as [string, number][]) scores[`nudity${name}`] = round(value);
  (classification.faces ?? []).forEach((face, index) => {
    scores[`face${index}Score`] = round(face.score);
    scores[`face${index}Age`] = round(face.age);
    scores[`face${index}AgeSpread`] = round(face.ageSpread);
    scores[`face${index}DescriptorNorm`] = round(face.descriptorNorm);
  });
  return scores;
}

/** Which models (and backend) produced the scores, for the reviewer and for later audits. */
export function evidenceModelVersions(classification: Classification): Record<string, string> {
  const versions: Record<string, string> = { pdq: 'veil-pdq-ts' };
  if (classification.modelVersions.nudity) versions.nudity = classification.modelVersions.nudity;
  if (classification.modelVersions.faces) versions.faces = classification.modelVersions.faces;
  if (classification.backend) versions.backend = classification.backend;
  return versions;
}

const round = (value: number): number => Math.round(value * 1000) / 1000;
