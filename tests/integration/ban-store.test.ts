import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BanStore, banMessage } from '../../src/bans/ban-store.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';

const DAY = 86_400_000;
const IP_HASH = createHash('sha256').update('keyed address hash stand-in').digest('hex');
const OTHER_HASH = createHash('sha256').update('another address').digest('hex');
const REFERENCE = /^VB-[A-Z2-9]{10}$/;

/** Real redis-server (AOF on) per test; nothing mocked. */
describe('BanStore', () => {
  let handle: TestRedis;
  let bans: BanStore;

  beforeEach(async () => {
    handle = await startTestRedis();
    bans = new BanStore(handle.redis);
  });
  afterEach(async () => {
    await handle.close();
  });

  it('bans an address hash and reads the ban back; other hashes stay unbanned', async () => {
    const now = Date.now();
    const ban = await bans.ban(IP_HASH, { reason: 'csam_hash_match', days: 30, evidenceId: 'ev-1' }, now);
    expect(ban).toEqual({
      referenceId: expect.stringMatching(REFERENCE),
      reason: 'csam_hash_match',
      createdAt: now,
      expiresAt: now + 30 * DAY,
      evidenceId: 'ev-1',
      by: 'automatic',
      note: '',
      deviceHash: null,
    });
    expect(await bans.get(IP_HASH, now + 1)).toEqual(ban);
    expect(await bans.get(OTHER_HASH, now + 1)).toBeNull();
    expect(await handle.redis.keys('veil:ban:*')).toEqual([`veil:ban:${IP_HASH}`]);
  });

  it('a moderator ban records who and why; permanent bans say so; lifting ends the ban but not its history', async () => {
    const now = Date.now();
    const permanent = await bans.ban(
      IP_HASH,
      { reason: 'moderator', days: null, evidenceId: null, by: 'alice', note: 'spam bot', deviceHash: 'd'.repeat(64) },
      now,
    );
    expect(permanent).toMatchObject({ by: 'alice', note: 'spam bot', deviceHash: 'd'.repeat(64) });
    expect(permanent.expiresAt - now).toBeGreaterThan(99 * 365 * DAY);
    expect(banMessage(permanent)).toMatch(/a violation of our Guidelines\. Reference VB-[A-Z2-9]{10}\. It does not end\.$/);
    expect(banMessage(permanent)).not.toContain('spam bot');
    expect(await bans.get(IP_HASH, now + 1)).toEqual(permanent);

    expect(await bans.lift(IP_HASH, 'adm.x', now + 5)).toBe(true);
    expect(await bans.get(IP_HASH, now + 6)).toBeNull();
    expect(await bans.lift(IP_HASH, 'adm.x', now + 6)).toBe(false);
    expect(await bans.history(IP_HASH, now + 6)).toEqual([{ ...permanent, liftedAt: now + 5, liftedBy: 'adm.x' }]);
    await bans.ban(IP_HASH, { reason: 'confident_minor', days: 1, evidenceId: 'ev-2' }, now + 10);
    const history = await bans.history(IP_HASH, now + 20);
    expect(history.map((ban) => [ban.reason, ban.by])).toEqual([
      ['moderator', 'alice'],
      ['confident_minor', 'automatic'],
    ]);
    expect(await bans.history(OTHER_HASH, now)).toEqual([]);
    // The history is forgotten a year after the ban ended, and its key carries that deadline.
    expect(await bans.history(IP_HASH, now + 10 + DAY + 366 * DAY)).toHaveLength(1); // the permanent one
    expect(await handle.redis.pttl(`veil:ban-history:${IP_HASH}`)).toBeGreaterThan(0);
  });

  it('reference ids are readable (VB- and 10 characters without look-alikes) and differ per ban', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const ban = await bans.ban(createHash('sha256').update(`address ${i}`).digest('hex'), { reason: 'confident_minor', days: 1, evidenceId: null });
      expect(ban.referenceId).toMatch(REFERENCE);
      expect(ban.referenceId.slice(3)).not.toMatch(/[01IO]/);
      ids.add(ban.referenceId);
    }
    expect(ids.size).toBe(20);
  });

  it('a ban without evidence reads back with evidenceId null', async () => {
    await bans.ban(IP_HASH, { reason: 'confident_minor', days: 7, evidenceId: null });
    expect(await bans.get(IP_HASH)).toMatchObject({ reason: 'confident_minor', evidenceId: null });
  });

  it('honours the expiry: a read at or after expiresAt finds no ban', async () => {
    const now = Date.now();
    const ban = await bans.ban(IP_HASH, { reason: 'csam_hash_match', days: 2, evidenceId: null }, now);
    expect(await bans.get(IP_HASH, ban.expiresAt - 1)).not.toBeNull();
    expect(await bans.get(IP_HASH, ban.expiresAt)).toBeNull();
    expect(await bans.get(IP_HASH, ban.expiresAt + DAY)).toBeNull();
  });

  it('the Redis key carries a TTL matching the ban, so Redis deletes it by itself', async () => {
    const now = Date.now();
    await bans.ban(IP_HASH, { reason: 'csam_hash_match', days: 3, evidenceId: null }, now);
    const pttl = await handle.redis.pttl(`veil:ban:${IP_HASH}`);
    expect(pttl).toBeGreaterThan(3 * DAY - 60_000);
    expect(pttl).toBeLessThanOrEqual(3 * DAY);

    // A ban of a fraction of a day, created 1 s in the past so that it has 1 s left: Redis removes it.
    const shortNow = Date.now() - 1000;
    const short = await bans.ban(OTHER_HASH, { reason: 'confident_minor', days: 2000 / DAY, evidenceId: null }, shortNow);
    expect(short.expiresAt).toBe(shortNow + 2000);
    expect(await handle.redis.pttl(`veil:ban:${OTHER_HASH}`)).toBeGreaterThan(0);
    await expect.poll(() => handle.redis.exists(`veil:ban:${OTHER_HASH}`), { timeout: 5000, interval: 100 }).toBe(0);
    expect(await bans.get(OTHER_HASH)).toBeNull();
  });

  it('a second ban keeps the later expiry, whichever order they come in', async () => {
    const now = Date.now();
    const long = await bans.ban(IP_HASH, { reason: 'csam_hash_match', days: 365, evidenceId: 'ev-long' }, now);
    const short = await bans.ban(IP_HASH, { reason: 'confident_minor', days: 1, evidenceId: 'ev-short' }, now + 1000);
    expect(short.expiresAt).toBe(long.expiresAt);
    expect((await bans.get(IP_HASH, now + 2 * DAY))?.expiresAt).toBe(long.expiresAt);
    const pttl = await handle.redis.pttl(`veil:ban:${IP_HASH}`);
    expect(pttl).toBeGreaterThan(364 * DAY);

    const later = await bans.ban(IP_HASH, { reason: 'csam_hash_match', days: 400, evidenceId: 'ev-later' }, now + 2000);
    expect(later.expiresAt).toBe(now + 2000 + 400 * DAY);
    expect(await bans.get(IP_HASH, now + 366 * DAY)).toMatchObject({ expiresAt: later.expiresAt, evidenceId: 'ev-later' });
  });

  it('a new ban after an expired one starts from now, not from the old expiry', async () => {
    const t0 = Date.now();
    await bans.ban(IP_HASH, { reason: 'confident_minor', days: 1, evidenceId: null }, t0);
    const again = await bans.ban(IP_HASH, { reason: 'confident_minor', days: 1, evidenceId: null }, t0 + 2 * DAY);
    expect(again.expiresAt).toBe(t0 + 3 * DAY);
  });

  it('bans survive a redis-server restart on the same folder (append-only file)', async () => {
    const now = Date.now();
    const ban = await bans.ban(IP_HASH, { reason: 'csam_hash_match', days: 30, evidenceId: 'ev-1' }, now);
    const pttlBefore = await handle.redis.pttl(`veil:ban:${IP_HASH}`);
    handle.redis.disconnect();
    const oldPid = handle.server.pid;
    await handle.server.close();

    handle = await startTestRedis(handle.dir);
    expect(handle.server.pid).not.toBe(oldPid);

    const restarted = new BanStore(handle.redis);
    expect(await restarted.get(IP_HASH, now + 1)).toEqual(ban);
    const pttlAfter = await handle.redis.pttl(`veil:ban:${IP_HASH}`);
    expect(pttlAfter).toBeGreaterThan(0);
    expect(pttlAfter).toBeLessThanOrEqual(pttlBefore);
  });
});

describe('banMessage', () => {
  it('gives the reason class, the reference id and the UTC expiry, and nothing identifying', () => {
    const ban = {
      referenceId: 'VB-ABCDEFGH23',
      reason: 'csam_hash_match' as const,
      createdAt: Date.UTC(2026, 10, 1, 9, 0),
      expiresAt: Date.UTC(2026, 11, 1, 17, 5, 42),
      evidenceId: '3f6c3f1e-1111-4222-8333-444455556666',
      by: 'automatic',
      note: '',
      deviceHash: null,
    };
    const message = banMessage(ban);
    expect(message).toContain('VB-ABCDEFGH23');
    expect(message).toContain('2026-12-01 17:06 UTC'); // rounded up: never before the real end
    expect(message).toContain('a child-safety violation');
    expect(message).not.toContain(ban.evidenceId);
    expect(message).not.toContain('csam');
    expect(message).not.toMatch(/[0-9a-f]{32,}/); // no address hash, no evidence id
    expect(banMessage({ ...ban, reason: 'confident_minor' })).not.toMatch(/minor|age/i); // never which detector fired
  });

  it('carries no address hash for a real ban either', async () => {
    const handle = await startTestRedis();
    try {
      const ban = await new BanStore(handle.redis).ban(IP_HASH, { reason: 'confident_minor', days: 0.5, evidenceId: null }, Date.UTC(2030, 0, 1, 0, 0));
      const message = banMessage(ban);
      expect(message).not.toContain(IP_HASH);
      expect(message).not.toContain(IP_HASH.slice(0, 8));
      expect(message).toContain(ban.referenceId);
      expect(message).toContain('2030-01-01 12:00 UTC');
    } finally {
      await handle.close();
    }
  });
});
