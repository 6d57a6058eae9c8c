import type { EvidenceReason } from './reasons.js';

export { EVIDENCE_REASONS, type EvidenceReason } from './reasons.js';

/** Coarse description of the sender's client; never an address or a fingerprint. */
export interface EvidenceDevice {
  browser: string;
  os: string;
  language: string;
}

/** A flagged sample as the classifier hands it over. `ipHash` is the edge's keyed hash (64 hex). */
export interface EvidenceSample {
  jpeg: Buffer;
  ipHash: string;
  device: EvidenceDevice;
  reason: EvidenceReason;
  scores: Record<string, number>;
  modelVersions: Record<string, string>;
  /** Opaque reference to the chat session, for correlating samples; not a user identifier. */
  sessionRef: string;
  /** When the frame was captured (ms since the epoch). */
  capturedAt: number;
}

/** What the store keeps about an item in Redis: everything except the image. */
export interface EvidenceRecord {
  id: string;
  reason: EvidenceReason;
  /** 0 is reviewed first; see REASON_PRIORITY. */
  priority: number;
  ipHash: string;
  device: EvidenceDevice;
  scores: Record<string, number>;
  modelVersions: Record<string, string>;
  sessionRef: string;
  capturedAt: number;
  storedAt: number;
  /** Ordinary retention deadline (ms since the epoch). */
  deleteAt: number;
  /** Present while (or after) the item is under legal hold: kept at least until this time. */
  legalHold?: EvidenceLegalHold;
  /** Id of the key that encrypted the file. */
  keyId: string;
  /** Size of the JPEG in bytes. */
  sizeBytes: number;
  /** The blob store that holds the ciphertext (BlobStore.location); absent on records of earlier versions. */
  location?: string;
}

export interface EvidenceLegalHold {
  until: number;
  basis: string;
  placedAt: number;
}

/** Retention periods, in days (fractions allowed). */
export interface EvidenceRetention {
  /** How long an item is kept when nothing else applies. */
  unreviewedDays: number;
  /** How long a legal hold preserves an item (US 18 U.S.C. 2258A(h): 1 year). */
  legalHoldDays: number;
}
