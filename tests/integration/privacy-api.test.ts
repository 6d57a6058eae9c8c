import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import sharp from 'sharp';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BanStore } from '../../src/bans/ban-store.js';
import { hashAddress } from '../../src/edge/client-address.js';
import { createPrivacyApi } from '../../src/http/privacy-api.js';
import { parseKeyRing } from '../../src/evidence/crypto.js';
import { EvidenceStore } from '../../src/evidence/store.js';
import type { EvidenceReason, EvidenceRecord } from '../../src/evidence/types.js';
import { PrivacyLog, privacyLogKey } from '../../src/privacy/privacy-log.js';
import {
  KEPT_BAN_EVIDENCE,
  KEPT_LEGAL_HOLD,
  PrivacyService,
  bansInForce,
  keptBecause,
  type EraseResult,
  type Holdings,
} from '../../src/privacy/privacy-service.js';
import type { Ban } from '../../src/bans/ban-store.js';
import { ReportStore } from '../../src/reports/report-store.js';
import { serveOnLoopback, type LoopbackServer } from '../support/http-server.js';
import { redisThatWentDown, startTestRedis, type TestRedis } from '../support/redis.js';

const DAY = 86_400_000;
const SECRET = 'test ip-hash secret, long enough to look real';
const VISITOR = '198.51.100.7';
const OTHER = '203.0.113.9';
const THIRD = '192.0.2.44';
const ADDRESSES = [VISITOR, OTHER, THIRD];

let jpeg: Buffer;
beforeAll(async () => {
  jpeg = await sharp({ create: { width: 32, height: 24, channels: 3, background: { r: 10, g: 90, b: 200 } } })
    .jpeg()
    .toBuffer();
});

const T0 = Date.UTC(2026, 5, 1);
const banOf = (referenceId: string, expiresAt: number, evidenceId: string | null = null): Ban => ({
  referenceId,
  reason: 'moderator',
  createdAt: T0 - DAY,
  expiresAt,
  evidenceId,
  by: 'mod',
  note: '',
  deviceHash: null,
});

describe('privacy rules (pure)', () => {
  const current = banOf('VB-NOW', T0 + DAY, 'e-now');
  it.each<[string, Ban | null, Ban[], string[]]>([
    ['no ban in force: nothing, whatever the history holds', null, [banOf('VB-OLD', T0 + DAY)], []],
    ['the current ban', current, [current], ['VB-NOW']],
    ['an earlier ban not yet ended joins the suspension', current, [banOf('VB-EARLY', T0 + 1), current], ['VB-NOW', 'VB-EARLY']],
    ['an ended earlier ban does not', current, [banOf('VB-ENDED', T0), current], ['VB-NOW']],
  ])('bansInForce: %s', (_name, now, history, expected) => {
    expect(bansInForce(now, history, T0).map((ban) => ban.referenceId)).toEqual(expected);
  });

  const record = (id: string, holdUntil?: number) =>
    ({ id, deleteAt: T0 + DAY, ...(holdUntil !== undefined && { legalHold: { until: holdUntil, basis: 'b', placedAt: T0 - DAY } }) }) as EvidenceRecord;
  it.each<[string, EvidenceRecord, string[], string | null]>([
    ['a running hold keeps it', record('a', T0 + 1), [], KEPT_LEGAL_HOLD],
    ['a hold wins over a ban as the reason', record('a', T0 + 1), ['a'], KEPT_LEGAL_HOLD],
    ['an ended hold does not', record('a', T0), [], null],
    ['the evidence of a ban in force is kept', record('a'), ['a'], KEPT_BAN_EVIDENCE],
    ['anything else goes', record('a'), ['b'], null],
  ])('keptBecause: %s', (_name, item, banEvidence, expected) => {
    expect(keptBecause(item, new Set(banEvidence), T0)).toBe(expected);
  });
});

interface Reply<T> {
  status: number;
  headers: Headers;
  body: T;
}

describe('privacy API (real redis-server, real stores)', () => {
  let handle: TestRedis;
  let dir: string;
  let server: LoopbackServer;
  let base: string;
  let evidence: EvidenceStore;
  let bans: BanStore;
  let reports: ReportStore;
  let log: PrivacyLog;

  const hashOf = (address: string): string => hashAddress(address, SECRET);
  const put = (address: string, reason: EvidenceReason): Promise<EvidenceRecord> =>
    evidence.put({
      jpeg,
      ipHash: hashOf(address),
      device: { browser: 'Chrome 140', os: 'Linux', language: 'en-GB' },
      reason,
      scores: { nudity: 0.8 },
      modelVersions: { nsfw: 'test' },
      sessionRef: 'session-test',
      capturedAt: Date.now() - 1000,
    });
  const report = (from: string, about: string) =>
    reports.record({ reporterHash: hashOf(from), reportedHash: hashOf(about), reason: 'harassment', mode: 'text' });
  const fileOf = (id: string): string => join(dir, `${id}.bin`);

  const request = async <T>(method: 'GET' | 'POST', path: string, from: string, headers: Record<string, string> = {}): Promise<Reply<T>> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'X-Forwarded-For': from, ...headers },
      ...(method === 'POST' && { body: '{}' }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as T };
  };
  const holdings = (from: string) => request<Holdings>('GET', '/api/privacy/holdings', from);
  const erase = (from: string, headers: Record<string, string> = { 'Content-Type': 'application/json', Origin: base }) =>
    request<EraseResult>('POST', '/api/privacy/erase', from, headers);

  beforeEach(async () => {
    handle = await startTestRedis();
    dir = join(mkdtempSync(join(tmpdir(), 'veil-privacy-')), 'evidence');
    evidence = await EvidenceStore.create({
      redis: handle.redis,
      dir,
      keyRing: parseKeyRing(`k1:${'5a'.repeat(32)}`, 'k1'),
      retention: { unreviewedDays: 30, legalHoldDays: 365 },
    });
    bans = new BanStore(handle.redis);
    reports = new ReportStore(handle.redis, { retentionDays: 30 });
    log = new PrivacyLog({ redis: handle.redis, requesterKey: privacyLogKey(SECRET), retentionDays: 365 });
    const service = new PrivacyService({ evidence, reports, bans, log });
    const app = express();
    app.use('/api/privacy', createPrivacyApi({ service, redis: handle.redis, trustedProxies: ['127.0.0.1'], ipHashSecret: SECRET, allowedOrigins: [] }));
    server = await serveOnLoopback(app);
    base = server.url;
  });
  afterEach(async () => {
    await server.close();
    await handle.close();
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  it('shows exactly the requester’s items, with their deadlines, and nothing that identifies anyone', async () => {
    const mine = await put(VISITOR, 'nudity');
    const theirs = await put(OTHER, 'nudity');
    const filed = await report(VISITOR, OTHER);
    const aboutMe = await report(THIRD, VISITOR);
    await report(OTHER, THIRD);

    const reply = await holdings(VISITOR);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('cache-control')).toBe('no-store');
    // Reports filed within one millisecond have no defined order: compare them by role.
    const byRole = (a: { role: string }, b: { role: string }): number => a.role.localeCompare(b.role);
    expect({ ...reply.body, reports: [...reply.body.reports].sort(byRole) }).toEqual({
      bans: [],
      evidence: [{ id: mine.id, reason: 'nudity', capturedAt: mine.capturedAt, deleteAt: mine.deleteAt, legalHold: false, keptBecause: null }],
      reports: [
        { referenceId: aboutMe.referenceId, role: 'about you', reason: 'harassment', createdAt: aboutMe.createdAt, deleteAt: aboutMe.deleteAt },
        { referenceId: filed.referenceId, role: 'filed', reason: 'harassment', createdAt: filed.createdAt, deleteAt: filed.deleteAt },
      ],
    });
    expect(mine.deleteAt - mine.storedAt).toBe(30 * DAY);
    expect(filed.deleteAt - filed.createdAt).toBe(30 * DAY);
    const text = JSON.stringify(reply.body);
    for (const secretish of [...ADDRESSES, ...ADDRESSES.map(hashOf), theirs.id]) expect(text).not.toContain(secretish);

    const other = await holdings(OTHER);
    expect(other.body.evidence.map((item) => item.id)).toEqual([theirs.id]);
    expect(other.body.reports.map((item) => item.role).sort()).toEqual(['about you', 'filed']);
  });

  it('erase deletes evidence files, records and reports; keeps the ban, its evidence and legal-hold evidence, with reasons', async () => {
    const nudity = await put(VISITOR, 'nudity');
    const reported = await put(VISITOR, 'user_report');
    const held = await put(VISITOR, 'csam_hash_match');
    const banned = await put(VISITOR, 'confident_minor');
    const ban = await bans.ban(hashOf(VISITOR), { reason: 'confident_minor', days: 30, evidenceId: banned.id, note: 'internal moderator note' });
    const othersEvidence = await put(OTHER, 'nudity');
    const filed = await report(VISITOR, OTHER);
    const aboutMe = await report(THIRD, VISITOR);
    const unrelated = await report(OTHER, THIRD);

    const before = await holdings(VISITOR);
    expect(before.body.evidence.map((item) => [item.id, item.keptBecause])).toEqual([
      [nudity.id, null],
      [reported.id, null],
      [held.id, KEPT_LEGAL_HOLD],
      [banned.id, KEPT_BAN_EVIDENCE],
    ]);
    expect(before.body.evidence.find((item) => item.id === held.id)).toMatchObject({ legalHold: true, deleteAt: held.legalHold?.until });

    const result = await erase(VISITOR);
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ deleted: { evidence: 2, reports: 2 }, kept: { bans: 1, evidence: 2 } });

    for (const gone of [nudity, reported]) {
      expect(await evidence.get(gone.id)).toBeNull();
      expect(existsSync(fileOf(gone.id))).toBe(false);
    }
    for (const kept of [held, banned, othersEvidence]) {
      expect(await evidence.get(kept.id)).not.toBeNull();
      expect(existsSync(fileOf(kept.id))).toBe(true);
    }
    expect(await reports.get(filed.referenceId)).toBeNull();
    expect(await reports.get(aboutMe.referenceId)).toBeNull();
    expect(await reports.get(unrelated.referenceId)).not.toBeNull();
    expect((await bans.get(hashOf(VISITOR)))?.referenceId).toBe(ban.referenceId);

    const after = await holdings(VISITOR);
    expect(after.body.reports).toEqual([]);
    expect(after.body.evidence.map((item) => [item.id, item.keptBecause])).toEqual([
      [held.id, KEPT_LEGAL_HOLD],
      [banned.id, KEPT_BAN_EVIDENCE],
    ]);
    expect(after.body.bans).toEqual([
      { referenceId: ban.referenceId, reasonClass: 'a child-safety violation', createdAt: ban.createdAt, expiresAt: ban.expiresAt, inForce: true },
    ]);
    expect(JSON.stringify(after.body)).not.toContain('internal moderator note');
  });

  it.each<[string, Record<string, string>]>([
    ['no JSON content type', { 'Content-Type': 'text/plain', Origin: 'SAME' }],
    ['a form post', { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'SAME' }],
    ['another Origin', { 'Content-Type': 'application/json', Origin: 'https://evil.example' }],
    ['no Origin', { 'Content-Type': 'application/json' }],
  ])('POST /erase with %s is refused with 403 and deletes nothing', async (_name, headers) => {
    const item = await put(VISITOR, 'nudity');
    const filed = await report(VISITOR, OTHER);
    const resolved = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, value === 'SAME' ? base : value]));
    const reply = await request<{ error: { code: string; message: string } }>('POST', '/api/privacy/erase', VISITOR, resolved);
    expect(reply.status).toBe(403);
    expect(reply.body.error.code).toMatch(/^(json_required|forbidden_origin)$/);
    expect(reply.body.error.message).toEqual(expect.any(String));
    expect(await evidence.get(item.id)).not.toBeNull();
    expect(existsSync(fileOf(item.id))).toBe(true);
    expect(await reports.get(filed.referenceId)).not.toBeNull();
    expect((await log.entries()).filter((entry) => entry.kind === 'erase')).toEqual([]);
  });

  it('a GET carrying a foreign Origin is refused too', async () => {
    const reply = await request<{ error: { code: string } }>('GET', '/api/privacy/holdings', VISITOR, { Origin: 'https://evil.example' });
    expect(reply.status).toBe(403);
    expect(reply.body.error.code).toBe('forbidden_origin');
  });

  it('rate-limits each keyed address (10 a minute) with 429, not the others', async () => {
    // refusals of a foreign Origin come first and spend nothing (a cross-site page cannot lock a visitor out)
    for (let i = 0; i < 12; i++) expect((await request('GET', '/api/privacy/holdings', VISITOR, { Origin: 'https://evil.example' })).status).toBe(403);
    for (let i = 0; i < 10; i++) expect((await holdings(VISITOR)).status).toBe(200);
    const limited = await request<{ error: { code: string } }>('GET', '/api/privacy/holdings', VISITOR);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await erase(VISITOR)).status).toBe(429);
    expect((await holdings(OTHER)).status).toBe(200);
  });

  it('refuses every request while the shared rate limit cannot be checked (Redis down: fail closed)', async () => {
    const down = await redisThatWentDown();
    const app = express();
    const service = new PrivacyService({ evidence, reports, bans, log });
    app.use('/api/privacy', createPrivacyApi({ service, redis: down, trustedProxies: ['127.0.0.1'], ipHashSecret: SECRET, allowedOrigins: [] }));
    const cut = await serveOnLoopback(app);
    try {
      await put(VISITOR, 'nudity');
      for (const path of ['/api/privacy/holdings', '/api/privacy/erase']) {
        const response = await fetch(`${cut.url}${path}`, {
          method: path.endsWith('erase') ? 'POST' : 'GET',
          headers: { 'X-Forwarded-For': VISITOR, 'Content-Type': 'application/json', Origin: cut.url },
          ...(path.endsWith('erase') && { body: '{}' }),
        });
        expect(response.status).toBe(500);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe('internal');
      }
      expect(await log.entries()).toEqual([]);
      expect((await holdings(VISITOR)).body.evidence).toHaveLength(1);
    } finally {
      await cut.close();
      down.disconnect();
    }
  });

  it('logs each request with counts and no address, and its sweep removes entries past their deadline', async () => {
    await put(VISITOR, 'nudity');
    await report(VISITOR, OTHER);
    expect((await holdings(VISITOR)).status).toBe(200);
    expect((await erase(VISITOR)).status).toBe(200);
    expect((await holdings(OTHER)).status).toBe(200);

    const entries = await log.entries();
    expect(entries.map((entry) => [entry.kind, entry.counts])).toEqual([
      ['view', { bans: 0, evidence: 1, reports: 1 }],
      ['erase', { deletedEvidence: 1, deletedReports: 1, keptBans: 0, keptEvidence: 0 }],
      ['view', { bans: 0, evidence: 0, reports: 0 }],
    ]);
    expect(entries[0]?.requester).toBe(log.requesterRef(hashOf(VISITOR)));
    expect(entries[1]?.requester).toBe(entries[0]?.requester);
    expect(entries[2]?.requester).not.toBe(entries[0]?.requester);
    for (const entry of entries) expect(entry.deleteAt - entry.at).toBe(365 * DAY);

    // Every key and value in Redis: no raw address anywhere; the log also holds no address hash.
    const dump = await dumpRedis(handle);
    for (const address of ADDRESSES) expect(dump).not.toContain(address);
    const logDump = await dumpRedis(handle, 'veil:privacy-log*');
    expect(logDump).toContain('veil:privacy-log:');
    for (const address of ADDRESSES) expect(logDump).not.toContain(hashOf(address));

    const last = Math.max(...entries.map((entry) => entry.deleteAt));
    expect(await log.sweep(last - 1 - 365 * DAY)).toBe(0);
    expect(await log.sweep(last)).toBe(3);
    expect(await log.entries(0)).toEqual([]);
    expect(await handle.redis.keys('veil:privacy-log*')).toEqual([]);
  });
});

/** Every key matching `pattern` with its whole value, as text. */
async function dumpRedis(handle: TestRedis, pattern = '*'): Promise<string> {
  const redis = handle.redis;
  const parts: string[] = [];
  for (const key of await redis.keys(pattern)) {
    const type = await redis.type(key);
    let value: unknown;
    if (type === 'string') value = await redis.get(key);
    else if (type === 'hash') value = await redis.hgetall(key);
    else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'set') value = await redis.smembers(key);
    else if (type === 'list') value = await redis.lrange(key, 0, -1);
    else if (type === 'stream') value = await redis.xrange(key, '-', '+');
    else throw new Error(`unexpected Redis type ${type} for ${key}`);
    parts.push(key, JSON.stringify(value));
  }
  return parts.join('\n');
}
