/** The edge checks of the console API's ids, query strings and JSON bodies: a bad one is a 400. */
import type { Response } from 'express';
import { z } from 'zod';
import { EVIDENCE_ID_PATTERN } from '../evidence/blob-store.js';
import { HttpError } from './errors.js';

/** Checks an evidence id before it reaches a store (and the file system); remembers it for error logs. */
export function evidenceIdParam(id: unknown, res: Response): string {
  if (typeof id !== 'string' || !EVIDENCE_ID_PATTERN.test(id)) {
    throw new HttpError(400, 'bad_request', 'an evidence id is a lowercase UUID');
  }
  res.locals.evidenceId = id;
  return id;
}

/** A query-string integer in min..max, `fallback` when absent; repeated parameters (arrays) are refused. */
export const wholeNumber = (min: number, max: number, fallback: string) =>
  z
    .string()
    .regex(/^\d{1,10}$/, 'must be a whole number')
    .default(fallback)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** Parses `input` (a query or a JSON body) or throws a 400 that names the issues and what was expected. */
export function parseInput<T extends z.ZodTypeAny>(schema: T, input: unknown, what: string, expected: string): z.output<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data as z.output<T>;
  const detail = parsed.error.issues.map((issue) => `${issue.path.join('.') || what}: ${issue.message}`).join('; ');
  throw new HttpError(400, 'bad_request', `bad ${what} (${detail}); expected ${expected}`);
}
