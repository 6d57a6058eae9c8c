/** Machine-readable reasons an evidence operation failed. */
export type EvidenceErrorCode =
  | 'KEY_RING_INVALID'
  | 'KEY_UNKNOWN'
  | 'INTEGRITY'
  | 'NOT_FOUND'
  | 'FILE_MISSING'
  | 'HELD_ELSEWHERE'
  | 'STORE_UNAVAILABLE'
  | 'RECORD_CORRUPT'
  | 'LEGAL_HOLD_ACTIVE';

/**
 * Base of the evidence errors. `code` is for programs, `message` for operators; `status` is the HTTP
 * status the moderator API should answer with. No message ever carries key material or image bytes.
 */
export class EvidenceError extends Error {
  override readonly name: string = 'EvidenceError';

  constructor(
    readonly code: EvidenceErrorCode,
    message: string,
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The key configuration is unusable, or an item names a key that the ring no longer holds. */
export class EvidenceKeyError extends EvidenceError {
  override readonly name = 'EvidenceKeyError';

  constructor(code: 'KEY_RING_INVALID' | 'KEY_UNKNOWN', message: string) {
    super(code, message, 500);
  }
}

/**
 * An evidence file failed its checks: malformed header, authentication tag mismatch, or a file that
 * belongs to another item. Treat it as tampering or corruption, never as "try another key".
 */
export class EvidenceIntegrityError extends EvidenceError {
  override readonly name = 'EvidenceIntegrityError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('INTEGRITY', message, 500, options);
  }
}
