import { describe, expect, it } from 'vitest';
import { ApiError, describeApiError } from '../../client/src/console/api-error.js';
import { CLOSE_CODES, CLOSE_REASONS, closeReasonOf } from '../../src/protocol/messages.js';
import { CONSOLE_ERROR_CODES } from '../../src/protocol/http-errors.js';

describe('close codes', () => {
  it.each(CLOSE_REASONS.map((reason) => [reason, CLOSE_CODES[reason]] as const))('%s is %i, in the private range, and reads back', (reason, code) => {
    expect(code).toBeGreaterThanOrEqual(4000);
    expect(code).toBeLessThan(5000);
    expect(closeReasonOf(code)).toBe(reason);
  });

  it('gives each reason its own code, and none to codes that are not ours', () => {
    expect(new Set(Object.values(CLOSE_CODES)).size).toBe(CLOSE_REASONS.length);
    for (const code of [1000, 1006, 1009, 4000, 4999]) expect(closeReasonOf(code)).toBeNull();
  });
});

describe('console error texts', () => {
  it.each(CONSOLE_ERROR_CODES)('%s has a sentence of its own, not the server message', (code) => {
    const text = describeApiError(new ApiError(409, code, ''));
    expect(text.trim()).not.toBe('');
    expect(text).toMatch(/[.!]$/);
  });
});
