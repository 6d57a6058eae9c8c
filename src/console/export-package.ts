import type { EvidenceDevice, EvidenceReason, EvidenceRecord } from '../evidence/types.js';
import type { Escalation } from './escalations.js';

/**
 * The incident package handed to the confirming moderator of an escalation, for the report to the
 * authorities (docs/console-api.md). It exists only in the HTTP answer: never written to disk.
 */
export interface ExportPackage {
  format: 'veil-incident-1';
  incident: {
    evidenceId: string;
    reason: EvidenceReason;
    capturedAt: number;
    ipHash: string;
    device: EvidenceDevice;
    scores: Record<string, number>;
    modelVersions: Record<string, string>;
    escalation: Escalation;
  };
  image: { contentType: 'image/jpeg'; base64: string };
}

/** Builds the package from the item's record, its decrypted JPEG and the confirmed escalation. */
export function buildExportPackage(record: EvidenceRecord, jpeg: Buffer, escalation: Escalation): ExportPackage {
  return {
    format: 'veil-incident-1',
    incident: {
      evidenceId: record.id,
      reason: record.reason,
      capturedAt: record.capturedAt,
      ipHash: record.ipHash,
      device: { browser: record.device.browser, os: record.device.os, language: record.device.language },
      scores: { ...record.scores },
      modelVersions: { ...record.modelVersions },
      escalation: { ...escalation },
    },
    image: { contentType: 'image/jpeg', base64: jpeg.toString('base64') },
  };
}
