import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import sharp from 'sharp';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BanStore } from '../../src/bans/ban-store.js';
import { AuditLog, type AuditEntry } from '../../src/console/audit-log.js';
import { ClaimStore } from '../../src/console/claims.js';
import { EscalationStore } from '../../src/console/escalations.js';
import { createConsoleApi, deviceHash } from '../../src/http/console-api.js';
import { parseKeyRing } from '../../src/evidence/crypto.js';
import { EvidenceStore } from '../../src/evidence/store.js';
import type { EvidenceReason, EvidenceRecord, EvidenceSample } from '../../src/evidence/types.js';
import { ReportStore } from '../../src/reports/report-store.js';
import { serveOnLoopback, type LoopbackServer } from '../support/http-server.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';

const DAY = 86_400_000;
const MINUTE = 60_000;
const RETENTION = { unreviewedDays: 30, legalHoldDays: 365 };
const HEX1 = '11'.repeat(32);
const DEVICE_SECRET = 'device-hash-secret-for-tests';
const IP_HASH = createHash('sha256').update('hmac output stand-in').digest('hex');
const OTHER_HASH = createHash('sha256').update('another chatter').digest('hex');
const DEVICE = { browser: 'Firefox 140', os: 'Linux', language: 'de-DE' };

let jpeg: Buffer;
beforeAll(async () => {
  jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 90, g: 30, b: 160 } } })
    .jpeg({ quality: 90 })
    .toBuffer();
});

const sample = (reason: EvidenceReason, capturedAt: number, ipHash = IP_HASH): EvidenceSample => ({
  jpeg,
  ipHash,
  device: DEVICE,
  reason,
  scores: { nudity: 0.91, minor: 0.12 },
  modelVersions: { nsfw: 'nsfwjs-4.3.0/mobilenet_v2' },
  sessionRef: 'session-7f3a',
  capturedAt,
});

/**
 * Stand-in for console-auth: `X-Test-User: name:role` is the session (401 without), the role check
 * answers 403, and state-changing requests need `X-CSRF-Token: ok`.
 */
const testAuth = {
  requireRole(role: 'moderator' | 'admin'): express.RequestHandler {
    return (req, res, next) => {
      const [name, userRole] = (req.get('X-Test-User') ?? '').split(':');
      if (!name || (userRole !== 'moderator' && userRole !== 'admin')) {
        res.status(401).json({ error: { code: 'unauthenticated', message: 'log in' } });
        return;
      }
      if (role === 'admin' && userRole !== 'admin') {
        res.status(403).json({ error: { code: 'forbidden', message: 'admins only' } });
        return;
      }
      res.locals.moderator = { name, role: userRole, sessionId: `session-${name}`, csrfToken: 'ok' };
      next();
    };
  },
  csrf: ((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.get('X-CSRF-Token') !== 'ok') {
      res.status(403).json({ error: { code: 'csrf', message: 'bad token' } });
      return;
    }
    next();
  }) as express.RequestHandler,
};

interface ErrorBody {
  error: { code: string; message: string };
}
interface QueueBody {
  items: Array<{
    kind: 'evidence' | 'report';
    id: string;
    reason: string;
    claimedBy: string | null;
    claimExpiresAt: number | null;
    legalHold: boolean;
    escalation: unknown;
  }>;
  total: number;
}

describe('console API', () => {
  let redis: TestRedis;
  let dir: string;
  let evidence: EvidenceStore;
  let bans: BanStore;
  let reports: ReportStore;
  let audit: AuditLog;
  let claims: ClaimStore;
  let escalations: EscalationStore;
  let server: LoopbackServer | undefined;
  let base: string;
  /** The injected clock of the API; starts at the real time, since Redis expiries run on it. */
  let clock: number;

  const A = 'alice:moderator';
  const B = 'bob:moderator';
  const C = 'carol:moderator';
  const ADMIN = 'root:admin';

  const call = (user: string | null, method: string, path: string, body?: unknown, csrf = true): Promise<Response> => {
    const headers: Record<string, string> = {};
    if (user !== null) headers['X-Test-User'] = user;
    if (csrf) headers['X-CSRF-Token'] = 'ok';
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  };
  const errorOf = async (response: Response): Promise<ErrorBody['error']> => ((await response.json()) as ErrorBody).error;
  const expectError = async (response: Response, status: number, code: string, label = ''): Promise<void> => {
    expect(response.status, label).toBe(status);
    expect(response.headers.get('cache-control'), label).toBe('no-store');
    expect((await errorOf(response)).code, label).toBe(code);
  };
  const put = (reason: EvidenceReason, capturedAt = clock - MINUTE, ipHash = IP_HASH): Promise<EvidenceRecord> =>
    evidence.put(sample(reason, capturedAt, ipHash), clock);
  const claim = async (user: string, id: string): Promise<void> => {
    expect((await call(user, 'POST', `/items/${id}/claim`)).status).toBe(200);
  };
  const queue = async (query = ''): Promise<QueueBody> => {
    const response = await call(A, 'GET', `/queue${query}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    return (await response.json()) as QueueBody;
  };
  const auditEntries = (): Promise<AuditEntry[]> => audit.read({ limit: 500 });

  beforeEach(async () => {
    clock = Date.now();
    redis = await startTestRedis();
    dir = join(mkdtempSync(join(tmpdir(), 'veil-console-')), 'evidence');
    evidence = await EvidenceStore.create({ redis: redis.redis, dir, keyRing: parseKeyRing(`k1:${HEX1}`, 'k1'), retention: RETENTION });
    bans = new BanStore(redis.redis);
    reports = new ReportStore(redis.redis, { retentionDays: 90 });
    audit = new AuditLog(redis.redis, { retentionDays: 365 });
    claims = new ClaimStore(redis.redis, { leaseMinutes: 5 });
    escalations = new EscalationStore(redis.redis);
    const app = express();
    app.use(
      '/console/api',
      express.json({ limit: '16kb' }),
      createConsoleApi({
        evidence,
        bans,
        reports,
        audit,
        claims,
        escalations,
        auth: testAuth,
        deviceHashSecret: DEVICE_SECRET,
        banEvidenceDays: 90,
        now: () => clock,
      }),
    );
    server = await serveOnLoopback(app);
    base = `${server.url}/console/api`;
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await redis.close();
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  describe('queue and claims', () => {
    it('lists by priority then capture time, with the total, claim badges and escalation state', async () => {
      const t = clock - 60 * MINUTE;
      const userReport = await put('user_report', t - 5000);
      const laterNudity = await put('nudity', t);
      const csam = await put('csam_hash_match', t + 3000);
      const earlierNudity = await put('nudity', t - 1);
      await claim(B, laterNudity.id);

      const body = await queue();
      expect(body.total).toBe(4);
      expect(body.items.map((item) => item.id)).toEqual([csam.id, earlierNudity.id, laterNudity.id, userReport.id]);
      expect(body.items[0]).toMatchObject({ reason: 'csam_hash_match', legalHold: true, claimedBy: null, claimExpiresAt: null, escalation: null });
      expect(body.items[2]).toMatchObject({ claimedBy: 'bob', claimExpiresAt: clock + 5 * MINUTE, legalHold: false });
      for (const item of body.items) expect(Object.keys(item)).not.toContain('ipHash');

      const page = await queue('?limit=2&offset=1');
      expect(page.items.map((item) => item.id)).toEqual([earlierNudity.id, laterNudity.id]);
      expect(page.total).toBe(4);
    });

    it('answers 401 without a session and sends no-store on it', async () => {
      const record = await put('nudity');
      for (const [method, path] of [
        ['GET', '/queue'],
        ['GET', `/items/${record.id}`],
        ['POST', `/items/${record.id}/claim`],
      ] as const) {
        await expectError(await call(null, method, path), 401, 'unauthenticated', path);
      }
    });

    it('refuses a state change without the CSRF token', async () => {
      const record = await put('nudity');
      await expectError(await call(A, 'POST', `/items/${record.id}/claim`, undefined, false), 403, 'csrf');
      expect(await claims.holder(record.id, clock)).toBeNull();
    });

    it('lets one moderator hold an item until the lease ends, renewing on a second claim', async () => {
      const record = await put('nudity');
      const first = await call(A, 'POST', `/items/${record.id}/claim`);
      expect(first.status).toBe(200);
      expect(await first.json()).toEqual({ claimedBy: 'alice', claimExpiresAt: clock + 5 * MINUTE });

      await expectError(await call(B, 'POST', `/items/${record.id}/claim`), 409, 'claimed');
      await expectError(await call(B, 'POST', `/items/${record.id}/release`), 409, 'claimed');

      clock += 4 * MINUTE;
      const renewed = await call(A, 'POST', `/items/${record.id}/claim`);
      expect(((await renewed.json()) as { claimExpiresAt: number }).claimExpiresAt).toBe(clock + 5 * MINUTE);
      clock += 4 * MINUTE; // past the first lease, inside the renewed one
      await expectError(await call(B, 'POST', `/items/${record.id}/claim`), 409, 'claimed');

      clock += MINUTE + 1; // the renewed lease has run out
      const taken = await call(B, 'POST', `/items/${record.id}/claim`);
      expect(taken.status).toBe(200);
      expect((await queue()).items[0]).toMatchObject({ claimedBy: 'bob', claimExpiresAt: clock + 5 * MINUTE });

      const claimsAudited = (await auditEntries()).filter((entry) => entry.action === 'claim');
      expect(claimsAudited.map((entry) => [entry.actor, entry.target])).toEqual([
        ['bob', record.id],
        ['alice', record.id],
      ]);

      expect((await call(B, 'POST', `/items/${record.id}/release`)).status).toBe(204);
      expect((await call(B, 'POST', `/items/${record.id}/release`)).status).toBe(204);
      expect((await queue()).items[0]).toMatchObject({ claimedBy: null, claimExpiresAt: null });
      expect((await call(A, 'POST', `/items/${record.id}/claim`)).status).toBe(200);
    });

    it('answers 404 for an unknown item', async () => {
      const id = randomUUID();
      for (const [method, path] of [
        ['GET', `/items/${id}`],
        ['GET', `/items/${id}/image`],
        ['POST', `/items/${id}/claim`],
      ] as const) {
        await expectError(await call(A, method, path), 404, 'not_found', path);
      }
      expect(await auditEntries()).toEqual([]);
    });
  });

  describe('viewing an item', () => {
    it('returns the detail with the history of its address hash and audits the view', async () => {
      const earlier = await put('nudity', clock - 2 * DAY);
      const record = await put('uncertain_minor');
      await put('nudity', clock - DAY, OTHER_HASH);
      const report = await reports.record({ reporterHash: OTHER_HASH, reportedHash: IP_HASH, reason: 'minor', mode: 'video' }, clock - DAY);
      await reports.record({ reporterHash: IP_HASH, reportedHash: OTHER_HASH, reason: 'spam', mode: 'text' }, clock - DAY);
      const ban = await bans.ban(IP_HASH, { reason: 'moderator', days: 7, evidenceId: earlier.id, by: 'bob', note: 'earlier' }, clock - DAY);

      const response = await call(A, 'GET', `/items/${record.id}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const detail = (await response.json()) as Record<string, unknown>;
      expect(detail).toMatchObject({
        id: record.id,
        reason: 'uncertain_minor',
        ipHash: IP_HASH,
        device: DEVICE,
        scores: record.scores,
        modelVersions: record.modelVersions,
        sessionRef: 'session-7f3a',
        deleteAt: record.deleteAt,
        legalHold: false,
        claimedBy: null,
        escalation: null,
      });
      expect(detail.history).toEqual({
        evidence: [{ id: earlier.id, reason: 'nudity', capturedAt: earlier.capturedAt, status: 'ban_evidence' }],
        reports: [{ referenceId: report.referenceId, reason: 'minor', createdAt: clock - DAY }],
        bans: [{ referenceId: ban.referenceId, reason: 'moderator', createdAt: clock - DAY, expiresAt: ban.expiresAt, by: 'bob', liftedAt: null }],
      });

      const entries = await auditEntries();
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ actor: 'alice', action: 'view', target: record.id, at: clock });
    });

    it('serves the very JPEG stored, without caching, and audits the fetch as image and the unblurring as reveal', async () => {
      const record = await put('nudity');
      const response = await call(B, 'GET', `/items/${record.id}/image`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/jpeg');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('etag')).toBeNull();
      expect(Buffer.from(await response.arrayBuffer()).equals(jpeg)).toBe(true);
      const entries = await auditEntries();
      expect(entries.map((entry) => [entry.actor, entry.action, entry.target])).toEqual([['bob', 'image', record.id]]);
      expect((await call(B, 'POST', `/items/${record.id}/reveal`)).status).toBe(204);
      expect((await auditEntries()).map((entry) => [entry.actor, entry.action, entry.target])).toContainEqual(['bob', 'reveal', record.id]);
    });
  });

  describe('actions', () => {
    it('needs the caller to hold the claim for every action', async () => {
      const record = await put('nudity');
      const actions: Array<[string, unknown]> = [
        ['dismiss', undefined],
        ['ban', { days: 7, reason: 'nudity on camera' }],
        ['escalate', { note: 'looks like a minor' }],
      ];
      for (const [action, body] of actions) {
        await expectError(await call(A, 'POST', `/items/${record.id}/${action}`, body), 409, 'not_claimed', action);
      }
      await claim(B, record.id);
      for (const [action, body] of actions) {
        await expectError(await call(A, 'POST', `/items/${record.id}/${action}`, body), 409, 'claimed', action);
      }
      expect(await evidence.get(record.id)).not.toBeNull();
      expect(await bans.get(IP_HASH)).toBeNull();
      expect(await escalations.get(record.id)).toBeNull();
    });

    it('dismiss deletes the file, the record and its address-index entry, and audits it', async () => {
      const record = await put('nudity');
      await claim(A, record.id);
      const response = await call(A, 'POST', `/items/${record.id}/dismiss`);
      expect(response.status).toBe(204);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(existsSync(join(dir, `${record.id}.bin`))).toBe(false);
      expect(await evidence.get(record.id)).toBeNull();
      expect(await redis.redis.zscore(`veil:evidence-index:by-ip:${IP_HASH}`, record.id)).toBeNull();
      expect(await evidence.listByIpHash(IP_HASH, clock)).toEqual([]);
      expect((await queue()).total).toBe(0);
      expect(await claims.holder(record.id, clock)).toBeNull();
      const entries = await auditEntries();
      expect(entries[0]).toMatchObject({ actor: 'alice', action: 'dismiss', target: record.id });
      await expectError(await call(A, 'POST', `/items/${record.id}/dismiss`), 404, 'not_found');
    });

    it('refuses to dismiss an item under legal hold', async () => {
      const record = await put('csam_hash_match');
      await claim(A, record.id);
      await expectError(await call(A, 'POST', `/items/${record.id}/dismiss`), 409, 'legal_hold');
      expect(await evidence.get(record.id)).not.toBeNull();
      expect(existsSync(join(dir, `${record.id}.bin`))).toBe(true);
      expect((await auditEntries()).some((entry) => entry.action === 'dismiss')).toBe(false);
    });

    it('ban bans the address hash with moderator, note and device hash, keeps the evidence 90 days, releases the claim', async () => {
      const record = await put('nudity');
      await claim(A, record.id);
      const response = await call(A, 'POST', `/items/${record.id}/ban`, { days: 30, reason: 'explicit content on camera' });
      expect(response.status).toBe(200);
      const answer = (await response.json()) as { referenceId: string; expiresAt: number };
      expect(answer).toEqual({ referenceId: expect.stringMatching(/^VB-/), expiresAt: clock + 30 * DAY });

      const ban = await bans.get(IP_HASH, clock);
      expect(ban).toEqual({
        referenceId: answer.referenceId,
        reason: 'moderator',
        createdAt: clock,
        expiresAt: clock + 30 * DAY,
        evidenceId: record.id,
        by: 'alice',
        note: 'explicit content on camera',
        deviceHash: deviceHash(DEVICE, DEVICE_SECRET),
      });
      expect(ban?.deviceHash).toMatch(/^[0-9a-f]{64}$/);
      const kept = await evidence.get(record.id);
      expect(kept?.deleteAt).toBeGreaterThanOrEqual(clock + 90 * DAY);
      expect(await claims.holder(record.id, clock)).toBeNull();
      expect((await queue()).items[0]).toMatchObject({ id: record.id, claimedBy: null, deleteAt: clock + 90 * DAY });
      expect((await auditEntries())[0]).toMatchObject({
        actor: 'alice',
        action: 'ban',
        target: record.id,
        detail: { referenceId: answer.referenceId, days: 30 },
      });
    });

    it('bans permanently with days null', async () => {
      const record = await put('nudity');
      await claim(A, record.id);
      const response = await call(A, 'POST', `/items/${record.id}/ban`, { days: null, reason: 'repeat offender' });
      expect(response.status).toBe(200);
      expect((await bans.get(IP_HASH, clock))?.expiresAt).toBeGreaterThan(clock + 99 * 365 * DAY);
    });

    it('escalation needs two different moderators; the second gets the export package and places a legal hold', async () => {
      const record = await put('confident_minor');
      await claim(A, record.id);
      const requested = await call(A, 'POST', `/items/${record.id}/escalate`, { note: 'appears to be a child' });
      expect(requested.status).toBe(202);
      expect(await requested.json()).toEqual({
        escalation: { requestedBy: 'alice', requestedAt: clock, note: 'appears to be a child', confirmedBy: null, confirmedAt: null },
      });
      await expectError(await call(A, 'POST', `/items/${record.id}/escalate`, { note: 'again' }), 409, 'second_moderator_required');
      // The request releases A's claim, so a second moderator can take the item; it cannot be dismissed meanwhile.
      await claim(B, record.id);
      await expectError(await call(B, 'POST', `/items/${record.id}/dismiss`), 409, 'escalation_pending');
      expect((await queue()).items[0]?.escalation).toMatchObject({ requestedBy: 'alice', confirmedBy: null });

      clock += MINUTE;
      const confirmed = await call(B, 'POST', `/items/${record.id}/escalate`, { note: 'agreed' });
      expect(confirmed.status).toBe(200);
      expect(confirmed.headers.get('cache-control')).toBe('no-store');
      const body = (await confirmed.json()) as {
        escalation: Record<string, unknown>;
        export: { format: string; incident: Record<string, unknown>; image: { contentType: string; base64: string } };
      };
      expect(body.escalation).toEqual({
        requestedBy: 'alice',
        requestedAt: clock - MINUTE,
        note: 'appears to be a child',
        confirmedBy: 'bob',
        confirmedAt: clock,
      });
      expect(body.export.format).toBe('veil-incident-1');
      expect(body.export.incident).toEqual({
        evidenceId: record.id,
        reason: 'confident_minor',
        capturedAt: record.capturedAt,
        ipHash: IP_HASH,
        device: DEVICE,
        scores: record.scores,
        modelVersions: record.modelVersions,
        escalation: body.escalation,
      });
      expect(body.export.image.contentType).toBe('image/jpeg');
      expect(Buffer.from(body.export.image.base64, 'base64').equals(jpeg)).toBe(true);

      const held = await evidence.get(record.id);
      expect(held?.legalHold?.until).toBeGreaterThanOrEqual(clock + 364 * DAY);
      expect(held?.legalHold?.basis).toContain('alice');
      expect(held?.legalHold?.basis).toContain('bob');
      expect(held?.legalHold?.basis).toContain('appears to be a child');
      expect(await redis.redis.pttl(`veil:console:escalation:${record.id}`)).toBeGreaterThan(364 * DAY - MINUTE * 10);

      await expectError(await call(B, 'POST', `/items/${record.id}/dismiss`), 409, 'legal_hold');
      await expectError(await call(C, 'POST', `/items/${record.id}/escalate`, { note: 'me too' }), 409, 'already_escalated');

      const entries = await auditEntries();
      expect(entries.filter((entry) => entry.action.startsWith('escalate')).map((entry) => [entry.actor, entry.action, entry.target])).toEqual([
        ['bob', 'escalate_confirm', record.id],
        ['alice', 'escalate_request', record.id],
      ]);
      expect(JSON.stringify(entries)).not.toContain(body.export.image.base64.slice(0, 64));
    });

    it('answers 400 for malformed ids on every item route', async () => {
      for (const id of ['not-a-uuid', randomUUID().toUpperCase(), '..%2F..%2Fetc%2Fpasswd']) {
        for (const [method, path] of [
          ['GET', `/items/${id}`],
          ['GET', `/items/${id}/image`],
          ['POST', `/items/${id}/claim`],
          ['POST', `/items/${id}/release`],
          ['POST', `/items/${id}/dismiss`],
          ['POST', `/items/${id}/ban`],
          ['POST', `/items/${id}/escalate`],
        ] as const) {
          await expectError(await call(A, method, path, method === 'POST' ? {} : undefined), 400, 'bad_request', `${method} ${path}`);
        }
      }
    });

    it.each<[string, string, unknown]>([
      ['ban', 'days 0', { days: 0, reason: 'x' }],
      ['ban', 'days above 3650', { days: 3651, reason: 'x' }],
      ['ban', 'fractional days', { days: 1.5, reason: 'x' }],
      ['ban', 'days as a string', { days: '7', reason: 'x' }],
      ['ban', 'no days', { reason: 'x' }],
      ['ban', 'no reason', { days: 7 }],
      ['ban', 'an empty reason', { days: 7, reason: '   ' }],
      ['ban', 'a reason of 201 characters', { days: 7, reason: 'r'.repeat(201) }],
      ['ban', 'an address as the reason', { days: 7, reason: '203.0.113.7' }],
      ['ban', 'an unknown field', { days: 7, reason: 'x', ipHash: OTHER_HASH }],
      ['ban', 'no body', undefined],
      ['escalate', 'no note', {}],
      ['escalate', 'a note of 301 characters', { note: 'n'.repeat(301) }],
      ['escalate', 'an unknown field', { note: 'x', confirmedBy: 'bob' }],
    ])('answers 400 to %s with %s', async (action, _name, body) => {
      const record = await put('nudity');
      await claim(A, record.id);
      await expectError(await call(A, 'POST', `/items/${record.id}/${action}`, body), 400, 'bad_request');
      expect(await bans.get(IP_HASH)).toBeNull();
      expect(await escalations.get(record.id)).toBeNull();
    });

    it.each(['?limit=0', '?limit=501', '?limit=abc', '?offset=-1', '?limit=1&limit=2', '?order=asc'])('answers 400 to the queue query %s', async (query) => {
      await expectError(await call(A, 'GET', `/queue${query}`), 400, 'bad_request');
    });
  });

  describe('user reports without a frame (text chats)', () => {
    const report = (createdAt: number) => reports.record({ reporterHash: OTHER_HASH, reportedHash: IP_HASH, reason: 'harassment', mode: 'text' }, createdAt);

    it('queue them at the user-report level by time, beside frame samples, with no image to show', async () => {
      const nudity = await put('nudity', clock - 5 * MINUTE);
      const sampled = await put('user_report', clock - 3 * MINUTE);
      const text = await report(clock - 4 * MINUTE);
      const later = await report(clock - MINUTE);
      const listed = await queue();
      expect(listed.items.map((item) => [item.kind, item.id])).toEqual([
        ['evidence', nudity.id],
        ['report', text.referenceId],
        ['evidence', sampled.id],
        ['report', later.referenceId],
      ]);
      expect(listed.total).toBe(4);
      expect((await queue('?offset=1&limit=2')).items.map((item) => item.id)).toEqual([text.referenceId, sampled.id]);

      const detail = (await (await call(A, 'GET', `/items/${text.referenceId}`)).json()) as Record<string, unknown>;
      expect(detail).toMatchObject({ kind: 'report', reason: 'user_report', ipHash: IP_HASH, device: null, report: { reason: 'harassment', mode: 'text' } });
      expect((detail.history as { reports: { referenceId: string }[] }).reports.map((r) => r.referenceId)).toEqual([later.referenceId]);
      await expectError(await call(A, 'GET', `/items/${text.referenceId}/image`), 409, 'not_applicable');
      await claim(A, text.referenceId);
      await expectError(await call(A, 'POST', `/items/${text.referenceId}/escalate`, { note: '' }), 409, 'not_applicable');
    });

    it('a ban from a report bans the reported hash and takes the report off the queue; dismiss deletes it', async () => {
      const first = await report(clock - 2 * MINUTE);
      const second = await report(clock - MINUTE);
      await claim(A, first.referenceId);
      const banned = await call(A, 'POST', `/items/${first.referenceId}/ban`, { days: 7, reason: 'threats in chat' });
      expect(banned.status).toBe(200);
      expect(await bans.get(IP_HASH, clock)).toMatchObject({ reason: 'moderator', by: 'alice', note: 'threats in chat', evidenceId: null });
      expect(await reports.get(first.referenceId)).not.toBeNull(); // kept for the hash's history until its deadline
      expect((await queue()).items.map((item) => item.id)).toEqual([second.referenceId]);

      await claim(B, second.referenceId);
      expect((await call(B, 'POST', `/items/${second.referenceId}/dismiss`)).status).toBe(204);
      expect(await reports.get(second.referenceId)).toBeNull();
      expect((await queue()).items).toEqual([]);
      const actions = (await auditEntries()).map((entry) => [entry.actor, entry.action, entry.target]);
      expect(actions).toContainEqual(['alice', 'ban', first.referenceId]);
      expect(actions).toContainEqual(['bob', 'dismiss', second.referenceId]);
    });
  });

  describe('admin', () => {
    it('keeps the audit log and ban lifting from moderators', async () => {
      await bans.ban(IP_HASH, { reason: 'moderator', days: 7, evidenceId: null, by: 'bob' }, clock);
      await expectError(await call(A, 'GET', '/audit'), 403, 'forbidden');
      await expectError(await call(A, 'DELETE', `/bans/${IP_HASH}`), 403, 'forbidden');
      expect(await bans.get(IP_HASH)).not.toBeNull();
      expect(await auditEntries()).toEqual([]);
    });

    it('lifts a ban and audits it; 404 when there is none, 400 for a malformed hash', async () => {
      await bans.ban(IP_HASH, { reason: 'moderator', days: 7, evidenceId: null, by: 'bob' }, clock);
      const response = await call(ADMIN, 'DELETE', `/bans/${IP_HASH}`);
      expect(response.status).toBe(204);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await bans.get(IP_HASH)).toBeNull();
      expect((await auditEntries())[0]).toMatchObject({ actor: 'root', action: 'ban_lift', target: IP_HASH });
      await expectError(await call(ADMIN, 'DELETE', `/bans/${IP_HASH}`), 404, 'not_found');
      await expectError(await call(ADMIN, 'DELETE', `/bans/${IP_HASH.toUpperCase()}`), 400, 'bad_request');
      await expectError(await call(ADMIN, 'DELETE', '/bans/203.0.113.7'), 400, 'bad_request');
    });

    it('reads the audit log newest first, in pages, and audits the read', async () => {
      for (let i = 0; i < 5; i += 1) {
        await audit.append({ actor: 'alice', action: 'view', target: `item-${i}` }, clock - (10 - i) * MINUTE);
      }
      const first = await call(ADMIN, 'GET', '/audit?limit=3');
      expect(first.status).toBe(200);
      expect(first.headers.get('cache-control')).toBe('no-store');
      const page1 = ((await first.json()) as { entries: AuditEntry[] }).entries;
      expect(page1.map((entry) => entry.target ?? entry.action)).toEqual(['audit_read', 'item-4', 'item-3']);
      expect(page1[0]).toMatchObject({ actor: 'root', action: 'audit_read', at: clock, detail: { limit: 3, before: null } });
      expect(page1[1]).toMatchObject({ actor: 'alice', action: 'view', at: clock - 6 * MINUTE, detail: {} });

      const second = await call(ADMIN, 'GET', `/audit?limit=3&before=${page1[2]?.id}`);
      const page2 = ((await second.json()) as { entries: AuditEntry[] }).entries;
      expect(page2.map((entry) => entry.target)).toEqual(['item-2', 'item-1', 'item-0']);
      const third = await call(ADMIN, 'GET', `/audit?before=${page2[2]?.id}`);
      expect(((await third.json()) as { entries: AuditEntry[] }).entries).toEqual([]);

      for (const query of ['?limit=0', '?limit=501', '?before=abc', '?before=1-2-3', '?after=1-0']) {
        await expectError(await call(ADMIN, 'GET', `/audit${query}`), 400, 'bad_request', query);
      }
    });
  });
});

describe('AuditLog', () => {
  let redis: TestRedis;
  let audit: AuditLog;
  const T = Date.UTC(2026, 5, 1);

  beforeEach(async () => {
    redis = await startTestRedis();
    audit = new AuditLog(redis.redis, { retentionDays: 365 });
  });
  afterEach(async () => {
    await redis.close();
  });

  it('sweeps entries older than the retention period only, by the injected clock', async () => {
    await audit.append({ actor: 'alice', action: 'login' }, T - 400 * DAY);
    await audit.append({ actor: 'alice', action: 'view', target: 'x' }, T - 366 * DAY);
    await audit.append({ actor: 'bob', action: 'ban', target: 'y', detail: { days: 7 } }, T - 364 * DAY);
    await audit.append({ actor: 'root', action: 'audit_read' }, T);
    expect(await audit.sweep(T)).toBe(2);
    const left = await audit.read({ limit: 10 });
    expect(left.map((entry) => [entry.actor, entry.action, entry.at])).toEqual([
      ['root', 'audit_read', T],
      ['bob', 'ban', T - 364 * DAY],
    ]);
    expect(left[1]?.detail).toEqual({ days: 7 });
    expect(await audit.sweep(T)).toBe(0);
  });

  it('keeps appending when the clock steps back, in order', async () => {
    await audit.append({ actor: 'alice', action: 'login' }, T);
    await audit.append({ actor: 'alice', action: 'logout' }, T - 5000);
    const entries = await audit.read({ limit: 10 });
    expect(entries.map((entry) => entry.action)).toEqual(['logout', 'login']);
    expect(entries.every((entry) => entry.at === T)).toBe(true);
  });

  it('refuses addresses, nested details and unknown actions', async () => {
    await expect(audit.append({ actor: 'alice', action: 'view', target: '203.0.113.7' }, T)).rejects.toThrow(TypeError);
    await expect(audit.append({ actor: 'alice', action: 'view', detail: { from: '2001:db8::1' } }, T)).rejects.toThrow(TypeError);
    await expect(audit.append({ actor: 'alice', action: 'view', detail: { image: Buffer.from('x') as unknown as string } }, T)).rejects.toThrow(TypeError);
    await expect(audit.append({ actor: 'alice', action: 'erase' as 'view' }, T)).rejects.toThrow(TypeError);
    expect(await audit.read({ limit: 10 })).toEqual([]);
  });
});
