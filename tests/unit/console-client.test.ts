import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsoleApi } from '../../client/src/console/api-client.js';
import { ApiError, claimedText, ContractError, describeApiError, isSessionEnded, minutesText, NetworkError } from '../../client/src/console/api-error.js';
import { auditEntrySchema, queueItemSchema } from '../../src/protocol/console-api.js';
import {
  absoluteTime,
  auditDetailText,
  BAN_DURATIONS,
  banDays,
  banInForce,
  banResultText,
  checkBanReason,
  claimRenewDelayMs,
  deadlineUrgency,
  deviceText,
  escalateLabel,
  escalationBadge,
  exportFilename,
  formatScore,
  queueCountText,
  reasonInfo,
  relativeTime,
  shortHash,
} from '../../client/src/console/format.js';
import { commandFor, moveIndex, type ConsoleView, type KeyPress } from '../../client/src/console/keyboard.js';
import { checkCredentials } from '../../client/src/console/login-view.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NOW = new Date(2026, 4, 1, 12, 0, 0).getTime();

describe('reasonInfo', () => {
  it.each([
    ['csam_hash_match', 'Known-CSAM match', 'critical'],
    ['confident_minor', 'Confident minor', 'high'],
    ['uncertain_minor', 'Uncertain minor', 'medium'],
    ['nudity', 'Nudity', 'low'],
    ['user_report', 'User report', 'info'],
    ['new_reason', 'new reason', 'info'],
    ['toString', 'toString', 'info'],
  ])('%s -> %s (%s)', (reason, label, tone) => {
    expect(reasonInfo(reason)).toEqual({ label, tone });
  });
});

describe('relativeTime', () => {
  it.each([
    [NOW, 'just now'],
    [NOW - 59_000, 'just now'],
    [NOW - MINUTE, '1 minute ago'],
    [NOW - 59 * MINUTE, '59 minutes ago'],
    [NOW - HOUR, '1 hour ago'],
    [NOW - 23 * HOUR - 59 * MINUTE, '23 hours ago'],
    [NOW - 3 * DAY - HOUR, '3 days ago'],
    [NOW + 5 * MINUTE, 'in 5 minutes'],
    [NOW + DAY, 'in 1 day'],
    [NOW + 29 * DAY + 23 * HOUR, 'in 29 days'],
  ])('%i -> %s', (at, expected) => {
    expect(relativeTime(at, NOW)).toBe(expected);
  });
});

describe('absolute times and deadlines', () => {
  it('shows local date and time to the minute', () => {
    expect(absoluteTime(new Date(2026, 0, 2, 3, 4, 59).getTime())).toBe('2026-01-02 03:04');
  });

  it.each([
    [NOW - 1, 'overdue'],
    [NOW, 'overdue'],
    [NOW + DAY - 1, 'soon'],
    [NOW + DAY, 'later'],
  ] as const)('deadline %i is %s', (deadline, expected) => {
    expect(deadlineUrgency(deadline, NOW)).toBe(expected);
  });
});

describe('short texts', () => {
  it('truncates a hash to head…tail and leaves short ones alone', () => {
    expect(shortHash('a'.repeat(8) + 'b'.repeat(52) + 'cdef')).toBe('aaaaaaaa…cdef');
    expect(shortHash('abc')).toBe('abc');
  });

  it.each([
    [0.97312, '0.973'],
    [1, '1'],
    [0, '0'],
    [12, '12'],
  ])('score %f -> %s', (score, expected) => {
    expect(formatScore(score)).toBe(expected);
  });

  it('joins the known device parts', () => {
    expect(deviceText({ browser: 'Chrome 126', os: 'Windows 10', language: 'de-DE' })).toBe('Chrome 126 · Windows 10 · de-DE');
    expect(deviceText({ browser: 'Firefox', os: ' ', language: '' })).toBe('Firefox');
    expect(deviceText({ browser: '', os: '', language: '' })).toBe('unknown');
  });

  it.each([
    [0, 0, 'The queue is empty.'],
    [1, 1, '1 item'],
    [3, 3, '3 items'],
    [50, 120, 'Showing 50 of 120'],
  ])('%i shown of %i -> %s', (shown, total, expected) => {
    expect(queueCountText(shown, total)).toBe(expected);
  });

  it('names the incident package after the item, with only safe characters', () => {
    expect(exportFilename('ev_01HX-9')).toBe('veil-incident-ev_01HX-9.json');
    expect(exportFilename('../x y')).toBe('veil-incident-___x_y.json');
  });

  it.each([
    [undefined, ''],
    [null, ''],
    ['plain', 'plain'],
    [{ days: 7 }, '{"days":7}'],
  ])('audit detail %j -> %s', (detail, expected) => {
    expect(auditDetailText(detail)).toBe(expected);
  });
});

describe('ban form', () => {
  it('offers 1, 7, 30, 90 days and permanent', () => {
    expect(BAN_DURATIONS.map((d) => d.days)).toEqual([1, 7, 30, 90, null]);
  });

  it.each([
    ['1', 1],
    ['90', 90],
    ['permanent', null],
    ['365', undefined],
    ['', undefined],
  ])('duration %s -> %s', (value, expected) => {
    expect(banDays(value)).toBe(expected);
  });

  it.each([
    ['', false],
    ['   ', false],
    ['spam bot', true],
    ['x'.repeat(200), true],
    ['x'.repeat(201), false],
  ])('reason %j accepted: %s', (text, ok) => {
    expect(checkBanReason(text).ok).toBe(ok);
  });

  it('trims the reason', () => {
    expect(checkBanReason('  minor on camera ')).toEqual({ ok: true, reason: 'minor on camera' });
  });

  it('describes the ban it made', () => {
    expect(banResultText('B-1', null)).toMatch(/^Banned permanently \(reference B-1\)/);
    expect(banResultText('B-2', new Date(2026, 4, 8, 12, 0).getTime())).toMatch(/^Banned until 2026-05-08 12:00 \(reference B-2\)/);
  });
});

describe('banInForce', () => {
  const ban = (referenceId: string, expiresAt: number | null, liftedAt: number | null = null) => ({ referenceId, expiresAt, liftedAt });

  it.each([
    ['no bans', [], null],
    ['one ended', [ban('A', NOW - 1)], null],
    ['one ending right now', [ban('A', NOW)], null],
    ['one in force', [ban('A', NOW + DAY)], 'A'],
    ['a permanent one', [ban('A', NOW - DAY), ban('B', null)], 'B'],
    ['the one ending last', [ban('A', NOW + 7 * DAY), ban('B', NOW + DAY)], 'A'],
    ['one lifted', [ban('A', NOW + DAY, NOW - 1)], null],
    ['a later one after a lift', [ban('A', NOW + DAY, NOW - 1), ban('B', NOW + 2 * DAY)], 'B'],
  ])('%s', (_case, bans, expected) => {
    expect(banInForce(bans, NOW)?.referenceId ?? null).toBe(expected);
  });
});

describe('escalation texts', () => {
  const pending = { requestedBy: 'ana', requestedAt: NOW, note: '', confirmedBy: null, confirmedAt: null };
  const confirmed = { ...pending, confirmedBy: 'ben', confirmedAt: NOW };

  it.each([
    [null, null],
    [pending, 'Escalation pending (ana)'],
    [confirmed, 'Escalated (ana, ben)'],
  ])('badge for %j', (escalation, expected) => {
    expect(escalationBadge(escalation)).toBe(expected);
  });

  it.each([
    [null, 'ana', 'Escalate'],
    [pending, 'ana', 'Escalate'],
    [pending, 'ben', 'Confirm escalation'],
    [confirmed, 'carl', 'Escalate'],
  ])('button for %j as %s -> %s', (escalation, me, expected) => {
    expect(escalateLabel(escalation, me)).toBe(expected);
  });
});

describe('claimRenewDelayMs', () => {
  it.each([
    [NOW + 5 * MINUTE, 2 * MINUTE],
    [NOW + 2 * MINUTE, MINUTE],
    [NOW + 30_000, 15_000],
    [NOW + 5_000, 10_000],
    [NOW - MINUTE, 10_000],
  ])('lease until %i -> renew in %i ms', (expiresAt, expected) => {
    expect(claimRenewDelayMs(expiresAt, NOW)).toBe(expected);
  });
});

describe('commandFor', () => {
  const press = (key: string, extra: Partial<KeyPress> = {}): KeyPress => ({
    key,
    ctrlKey: false,
    metaKey: false,
    altKey: false,
    inEditable: false,
    dialogOpen: false,
    ...extra,
  });

  it.each([
    ['queue', 'j', 'queue-next'],
    ['queue', 'J', 'queue-next'],
    ['queue', 'ArrowDown', 'queue-next'],
    ['queue', 'k', 'queue-previous'],
    ['queue', 'ArrowUp', 'queue-previous'],
    ['queue', 'r', null],
    ['queue', 'Escape', null],
    ['item', 'r', 'item-reveal'],
    ['item', 'R', 'item-reveal'],
    ['item', 'd', 'item-dismiss'],
    ['item', 'b', 'item-ban'],
    ['item', 'e', 'item-escalate'],
    ['item', 'Escape', 'item-release'],
    ['item', 'j', null],
    ['item', 'Enter', null],
    ['login', 'r', null],
    ['audit', 'j', null],
  ] as const)('%s view, %s -> %s', (view: ConsoleView, key, expected) => {
    expect(commandFor(view, press(key))).toBe(expected);
  });

  it.each([
    ['with Ctrl', { ctrlKey: true }],
    ['with Cmd', { metaKey: true }],
    ['with Alt', { altKey: true }],
    ['while typing', { inEditable: true }],
    ['while a dialog is open', { dialogOpen: true }],
  ])('ignores keys %s', (_name, extra) => {
    expect(commandFor('item', press('b', extra))).toBeNull();
    expect(commandFor('item', press('Escape', extra))).toBeNull();
    expect(commandFor('queue', press('j', extra))).toBeNull();
  });

  it.each([
    [-1, 3, 'queue-next', 0],
    [-1, 3, 'queue-previous', 2],
    [0, 3, 'queue-next', 1],
    [2, 3, 'queue-next', 2],
    [0, 3, 'queue-previous', 0],
    [2, 3, 'queue-previous', 1],
    [5, 3, 'queue-next', 0],
    [-1, 0, 'queue-next', -1],
  ] as const)('moveIndex(%i, %i, %s) -> %i', (current, count, command, expected) => {
    expect(moveIndex(current, count, command)).toBe(expected);
  });
});

describe('checkCredentials', () => {
  it.each([
    [{ name: 'ana', password: 'pw', code: '123456' }, null],
    [{ name: '', password: 'pw', code: '123456' }, /name and password/],
    [{ name: 'ana', password: '', code: '123456' }, /name and password/],
    [{ name: 'ana', password: 'pw', code: '12345' }, /6-digit/],
    [{ name: 'ana', password: 'pw', code: '12345a' }, /6-digit/],
  ])('%j', (credentials, expected) => {
    const problem = checkCredentials(credentials);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });
});

describe('describeApiError', () => {
  it.each([
    ['wrong credentials', new ApiError(401, 'bad_credentials', 'no'), 'Wrong name, password or code.'],
    ['locked', new ApiError(423, 'locked', 'locked', 600), /Try again in 10 minutes\./],
    ['locked, seconds round up', new ApiError(423, 'locked', 'locked', 61), /Try again in 2 minutes\./],
    ['locked, under a minute', new ApiError(423, 'locked', 'locked', 5), /Try again in 1 minute\./],
    ['locked, no time given', new ApiError(423, 'locked', 'locked'), /Try again later\./],
    ['rate limited', new ApiError(429, 'rate_limited', 'slow down', 120), /Too many attempts .* in 2 minutes\./],
    ['session ended', new ApiError(401, 'unauthenticated', 'x'), 'Your session ended. Log in again.'],
    ['csrf', new ApiError(403, 'csrf', 'x'), /Reload the page/],
    ['forbidden', new ApiError(403, 'forbidden', 'x'), 'Your role does not allow this.'],
    ['legal hold', new ApiError(409, 'legal_hold', 'x'), /under legal hold/],
    ['same moderator twice', new ApiError(409, 'second_moderator_required', 'x'), /different moderator/],
    ['unknown 409 with message', new ApiError(409, 'odd', 'Item changed meanwhile'), 'Item changed meanwhile'],
    ['unknown 409 without message', new ApiError(409, 'http_409', ''), /conflicts/],
    ['server error hides details', new ApiError(500, 'internal', 'stack trace here'), /went wrong on the server/],
    ['no connection', new NetworkError('x'), /Could not reach the server/],
    ['bad answer', new ContractError('/queue', 'items.0.id: Required'), /does not understand \(\/queue\)/],
    ['anything else', new Error('boom'), /Reload the page/],
  ])('%s', (_name, error, expected) => {
    const text = describeApiError(error);
    if (typeof expected === 'string') expect(text).toBe(expected);
    else expect(text).toMatch(expected);
  });

  it('treats a 401 as the end of the session, except for refused credentials', () => {
    expect(isSessionEnded(new ApiError(401, 'unauthenticated', ''))).toBe(true);
    expect(isSessionEnded(new ApiError(401, 'bad_credentials', ''))).toBe(false);
    expect(isSessionEnded(new ApiError(403, 'forbidden', ''))).toBe(false);
  });

  it('names who holds a claim', () => {
    expect(claimedText('sam')).toBe('sam is working on this item.');
    expect(claimedText(null)).toBe('Another moderator is working on this item.');
    expect(minutesText(60)).toBe('1 minute');
  });
});

describe('answer schemas', () => {
  const item = {
    kind: 'evidence',
    id: 'ev1',
    reason: 'nudity',
    priority: 3,
    capturedAt: NOW,
    storedAt: NOW,
    deleteAt: NOW + DAY,
    legalHold: false,
    claimedBy: null,
    claimExpiresAt: null,
    escalation: null,
  };

  it('accepts a queue item of the contract and refuses one without id or kind', () => {
    expect(queueItemSchema.parse(item)).toEqual(item);
    expect(queueItemSchema.safeParse({ ...item, kind: undefined }).success).toBe(false);
    expect(queueItemSchema.parse({ ...item, kind: 'report' }).kind).toBe('report');
    expect(queueItemSchema.safeParse({ ...item, kind: 'rumour' }).success).toBe(false);
    expect(queueItemSchema.safeParse({ ...item, id: undefined }).success).toBe(false);
  });

  it('reads audit entries as the server writes them: stream ids, times in ms, and nothing else', () => {
    const entry = { id: `${NOW}-0`, at: NOW, actor: 'ana', action: 'login', target: null, detail: { role: 'moderator' } };
    expect(auditEntrySchema.parse(entry)).toEqual(entry);
    expect(auditEntrySchema.safeParse({ ...entry, id: 7 }).success).toBe(false);
    expect(auditEntrySchema.safeParse({ ...entry, at: new Date(NOW).toISOString() }).success).toBe(false);
  });
});

/** A real HTTP server on a random port that answers each request with the next scripted reply. */
interface Recorded {
  method: string;
  url: string;
  csrf: string | undefined;
  body: string;
}

describe('ConsoleApi over HTTP', () => {
  let server: Server | undefined;

  afterEach(async () => {
    const closing = server;
    server = undefined;
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  });

  async function serve(replies: Array<{ status: number; body?: unknown; headers?: Record<string, string> }>) {
    const requests: Recorded[] = [];
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        requests.push({ method: req.method ?? '', url: req.url ?? '', csrf: req.headers['x-csrf-token'] as string | undefined, body });
        const reply = replies.shift() ?? { status: 500 };
        res.writeHead(reply.status, { 'Content-Type': 'application/json', ...reply.headers });
        res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { api: new ConsoleApi(`http://127.0.0.1:${port}/console/api`), requests };
  }

  it('keeps the CSRF token from login and sends it with state changes only', async () => {
    const { api, requests } = await serve([
      { status: 200, body: { name: 'ana', role: 'moderator', csrfToken: 'tok-1' } },
      { status: 200, body: { items: [], total: 0 } },
      { status: 200, body: { claimedBy: 'ana', claimExpiresAt: NOW } },
      { status: 204 },
    ]);
    await api.login('ana', 'pw', '123456');
    await api.queue();
    await api.claim('ev/1');
    await api.logout();
    expect(requests.map((r) => [r.method, r.url, r.csrf])).toEqual([
      ['POST', '/console/api/login', undefined],
      ['GET', '/console/api/queue?limit=50&offset=0', undefined],
      ['POST', '/console/api/items/ev%2F1/claim', 'tok-1'],
      ['POST', '/console/api/logout', 'tok-1'],
    ]);
    expect(JSON.parse(requests[0]!.body)).toEqual({ name: 'ana', password: 'pw', code: '123456' });
    expect(api.signedIn).toBe(false);
  });

  it('turns an error body into an ApiError with code and wait', async () => {
    const { api } = await serve([{ status: 423, body: { error: { code: 'locked', message: 'locked', retryAfterSeconds: 300 } } }]);
    const error = await api.login('ana', 'pw', '000000').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 423, code: 'locked', retryAfterSeconds: 300 });
  });

  it('falls back to the status and Retry-After when the error is not JSON of the contract', async () => {
    const { api } = await serve([{ status: 429, body: 'slow down', headers: { 'Retry-After': '90' } }]);
    const error = await api.me().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 429, code: 'http_429', retryAfterSeconds: 90 });
  });

  it('refuses an answer that breaks the contract', async () => {
    const { api } = await serve([{ status: 200, body: { items: [{ id: 'x' }], total: 1 } }]);
    const error = await api.queue().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractError);
    expect((error as ContractError).path).toBe('/queue');
  });

  it('tells a requested escalation (202) from a confirmed one with its package (200)', async () => {
    const escalation = { requestedBy: 'ana', requestedAt: NOW, note: 'first', confirmedBy: null, confirmedAt: null };
    const exported = {
      format: 'veil-incident-1',
      incident: { evidenceId: 'ev1', reason: 'confident_minor' },
      image: { contentType: 'image/jpeg', base64: 'AAAA' },
    };
    const { api, requests } = await serve([
      { status: 200, body: { name: 'ben', role: 'admin', csrfToken: 'tok-2' } },
      { status: 202, body: { escalation } },
      { status: 200, body: { escalation: { ...escalation, confirmedBy: 'ben', confirmedAt: NOW }, export: exported } },
    ]);
    await api.me();
    expect((await api.escalate('ev1', 'first')).status).toBe(202);
    const confirmed = await api.escalate('ev1', '');
    expect(confirmed.status).toBe(200);
    expect(confirmed.result.export).toEqual(exported);
    expect(requests[1]).toMatchObject({ csrf: 'tok-2', body: JSON.stringify({ note: 'first' }) });
  });

  it('lifts a ban with DELETE and the CSRF token; 404 when none is in force', async () => {
    const hash = 'ab'.repeat(32);
    const { api, requests } = await serve([
      { status: 200, body: { name: 'ben', role: 'admin', csrfToken: 'tok-3' } },
      { status: 204 },
      { status: 404, body: { error: { code: 'not_found', message: 'no ban is in force for this address hash' } } },
    ]);
    await api.me();
    await api.liftBan(hash);
    const error = await api.liftBan(hash).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404, code: 'not_found' });
    expect(requests.slice(1).map((r) => [r.method, r.url, r.csrf])).toEqual([
      ['DELETE', `/console/api/bans/${hash}`, 'tok-3'],
      ['DELETE', `/console/api/bans/${hash}`, 'tok-3'],
    ]);
  });

  it('reports a server that cannot be reached as a NetworkError', async () => {
    const api = new ConsoleApi('http://127.0.0.1:1/console/api');
    await expect(api.me()).rejects.toBeInstanceOf(NetworkError);
  });
});
