import express from 'express';
import type { Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { EvidenceError, EvidenceIntegrityError } from '../../src/evidence/errors.js';
import { consoleError, errorHandler } from '../../src/http/errors.js';
import { serveOnLoopback, type LoopbackServer } from '../support/http-server.js';

/**
 * The one error handler of every HTTP router (src/http/errors.ts), on a real express app: each
 * kind of failure as a table of cases, and what reaches the log.
 */

interface Logged {
  level: string;
  fields: Record<string, unknown>;
}

const ID = '00000000-0000-4000-8000-000000000001';

interface Case {
  name: string;
  /** What the route throws (or the body it is sent, for body-parser errors). */
  fail: () => unknown;
  expected: { status: number; code: string; message?: string | RegExp; retryAfter?: string };
}

const CASES: Case[] = [
  {
    name: 'an HttpError is answered as it is',
    fail: () => consoleError(409, 'claimed', 'the item is claimed by ben'),
    expected: { status: 409, code: 'claimed', message: 'the item is claimed by ben' },
  },
  {
    name: 'a wait goes to Retry-After and the body',
    fail: () => consoleError(429, 'rate_limited', 'wait', 30),
    expected: { status: 429, code: 'rate_limited', retryAfter: '30' },
  },
  {
    name: 'evidence errors by the EVIDENCE_CODES table',
    fail: () => new EvidenceError('FILE_MISSING', 'the file is gone', 410),
    expected: { status: 410, code: 'file_missing', message: 'the file is gone' },
  },
  {
    name: 'an integrity failure names the item, not the details',
    fail: () => new EvidenceIntegrityError('tag mismatch in header bytes'),
    expected: { status: 500, code: 'integrity', message: new RegExp(`evidence ${ID} failed its integrity check`) },
  },
  {
    name: 'anything else is 500 internal',
    fail: () => new Error('ERR wrong number of arguments for HSET veil:ban:abcdef'),
    expected: { status: 500, code: 'internal', message: 'something went wrong on our side; please try again later' },
  },
];

describe('errorHandler()', () => {
  let server: LoopbackServer | undefined;
  let logged: Logged[];

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const serve = async (fail: () => unknown = () => undefined): Promise<string> => {
    logged = [];
    const at = (level: string) => (fields: Record<string, unknown>) => void logged.push({ level, fields });
    const log = { error: at('error'), warn: at('warn'), info: at('info') } as unknown as Logger;
    const app = express();
    app.post('/items/:id', express.json({ limit: '1kb' }), (req, res) => {
      res.locals.evidenceId = req.params.id;
      throw fail();
    });
    app.use(errorHandler(log));
    server = await serveOnLoopback(app);
    return `${server.url}/items/${ID}`;
  };

  it.each(CASES)('$name', async ({ fail, expected }) => {
    const url = await serve(fail);
    const response = await fetch(url, { method: 'POST' });
    expect(response.status).toBe(expected.status);
    expect(response.headers.get('cache-control')).toBe('no-store');
    if (expected.retryAfter !== undefined) expect(response.headers.get('retry-after')).toBe(expected.retryAfter);
    const body = (await response.json()) as { error: { code: string; message: string; retryAfterSeconds?: number } };
    expect(body.error.code).toBe(expected.code);
    if (typeof expected.message === 'string') expect(body.error.message).toBe(expected.message);
    else if (expected.message) expect(body.error.message).toMatch(expected.message);
    if (expected.retryAfter !== undefined) expect(body.error.retryAfterSeconds).toBe(Number(expected.retryAfter));
    else expect(body.error).not.toHaveProperty('retryAfterSeconds');
  });

  it.each([
    ['malformed JSON', '{"a":', 400],
    ['a body over the limit', JSON.stringify({ a: 'x'.repeat(2000) }), 413],
  ])('answers body-parser errors (%s) as bad_request', async (_name, body, status) => {
    const url = await serve();
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('bad_request');
  });

  it('logs an unknown failure by message only, with the item id, and answers without its details', async () => {
    const url = await serve(() => new Error('boom'));
    const response = await fetch(url, { method: 'POST', headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(((await response.json()) as { error: { message: string } }).error.message).not.toContain('boom');
    expect(logged).toEqual([{ level: 'error', fields: { id: ID, err: 'boom' } }]);
    expect(JSON.stringify(logged)).not.toMatch(/127\.0\.0\.1|203\.0\.113\.7/);
  });
});
