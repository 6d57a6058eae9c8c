import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { compatible, type WaitingTicket } from '../../src/matching/match-rules.js';
import { CASE_INTEREST_FALLBACK_MS, RULE_CASES } from '../support/match-rules.cases.js';
import { Matchmaker, type Match, type MatchmakerOptions } from '../../src/matching/matchmaker.js';
import type { Ticket } from '../../src/matching/ticket.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';
import { seeded } from '../support/seeded-random.js';

const PREFIX = 'veil:match:';

let handle: TestRedis | undefined;
const clients: Redis[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.quit()));
  await handle?.close();
  handle = undefined;
});

async function start(options: MatchmakerOptions = {}): Promise<{ redis: Redis; matchmaker: Matchmaker }> {
  handle = await startTestRedis();
  const matchmaker = await Matchmaker.create(handle.redis, { interestFallbackMs: CASE_INTEREST_FALLBACK_MS, recentPartnerSeconds: 600, ...options });
  return { redis: handle.redis, matchmaker };
}

/** Another connection to the test server, closed in afterEach. */
function connect(): Redis {
  if (!handle) throw new Error('start() first');
  const client = new Redis({ path: handle.server.socketPath });
  clients.push(client);
  return client;
}

async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

function ticket(sessionId: string, fields: Partial<Ticket> = {}): Ticket {
  return { sessionId, mode: 'video', interests: [], countries: [], country: null, ...fields };
}

function waiting(t: WaitingTicket): Ticket {
  return { sessionId: t.sessionId, mode: t.mode, interests: t.interests, countries: t.countries, country: t.country };
}

function expectedMatch(caller: WaitingTicket, other: WaitingTicket, now: number, recentlyPaired: boolean): Match | null {
  const shared = compatible(caller, other, { now, interestFallbackMs: CASE_INTEREST_FALLBACK_MS, recentlyPaired });
  return shared === null ? null : { sessionId: caller.sessionId, partnerId: other.sessionId, partnerNode: 'local', sharedInterests: shared };
}

describe('Matchmaker applies the same rules as compatible()', () => {
  // The older ticket waits; the younger arrives at its own `since` (the rules are checked then),
  // and if it stays unpaired it retries at the case's `now` (checked again).
  it.each(RULE_CASES)('$name', async ({ a, b, now, recentlyPaired, expected }) => {
    const { matchmaker } = await start();
    const [first, second] = a.since < b.since ? [a, b] : [b, a];
    if (recentlyPaired) {
      expect(await matchmaker.enqueue(ticket(first.sessionId), first.since - 1)).toBeNull();
      expect(await matchmaker.enqueue(ticket(second.sessionId), first.since - 1)).not.toBeNull();
    }
    expect(await matchmaker.enqueue(waiting(first), first.since)).toBeNull();
    let match: Match | null | 'no_ticket' = await matchmaker.enqueue(waiting(second), second.since);
    expect(match).toEqual(expectedMatch(second, first, second.since, recentlyPaired));
    if (match === null) {
      match = await matchmaker.retry(second.sessionId, now);
      expect(match).toEqual(expectedMatch(second, first, now, recentlyPaired));
    }
    expect(match === null || match === 'no_ticket' ? null : [...match.sharedInterests].sort()).toEqual(expected === null ? null : [...expected].sort());
  });
});

describe('Matchmaker', () => {
  it('pairs each session at most once under concurrent enqueues from several clients', async () => {
    const { redis } = await start();
    const matchmakers = await Promise.all([0, 1, 2, 3].map(() => Matchmaker.create(connect(), { recentPartnerSeconds: 60 })));
    const sessions = Array.from({ length: 1000 }, (_, i) => `s${i}`);
    const results = await Promise.all(sessions.map((id, i) => matchmakers[i % 4]!.enqueue(ticket(id), 1000)));
    const matches = results.filter((m): m is Match => m !== null);
    const paired = matches.flatMap((m) => [m.sessionId, m.partnerId]);
    expect(matches).toHaveLength(500);
    expect(new Set(paired).size).toBe(1000);
    expect(matches.every((m) => m.sessionId !== m.partnerId)).toBe(true);
    expect(await matchmakers[0]!.waitingCount('video')).toBe(0);
    const keys = await keysUnder(redis, PREFIX);
    expect(keys).toHaveLength(500);
    expect(keys.every((key) => key.startsWith(`${PREFIX}recent:`))).toBe(true);
  });

  it('with constraints, concurrent enqueues leave no compatible pair waiting and every pair compatible', async () => {
    await start();
    const matchmakers = await Promise.all([0, 1, 2].map(() => Matchmaker.create(connect(), { maxScan: 10_000 })));
    const random = seeded(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const tickets = Array.from({ length: 600 }, (_, i): WaitingTicket => ({
      ...ticket(`s${i}`, {
        mode: pick(['video', 'video', 'text'] as const),
        interests: random() < 0.5 ? [] : [...new Set([pick(['a', 'b', 'c', 'd']), pick(['a', 'b', 'c', 'd', 'e', 'f'])])],
        countries: pick([[], [], [], ['DE'], ['FR', 'DE']]),
        country: pick(['DE', 'FR', 'US', null]),
      }),
      since: 1000,
    }));
    const byId = new Map(tickets.map((t) => [t.sessionId, t]));
    const results = await Promise.all(tickets.map((t, i) => matchmakers[i % 3]!.enqueue(waiting(t), 1000)));
    const matches = results.filter((m): m is Match => m !== null);
    const paired = matches.flatMap((m) => [m.sessionId, m.partnerId]);
    expect(new Set(paired).size).toBe(paired.length);
    const context = { now: 1000, interestFallbackMs: CASE_INTEREST_FALLBACK_MS, recentlyPaired: false };
    for (const m of matches) {
      expect(compatible(byId.get(m.sessionId)!, byId.get(m.partnerId)!, context)).toEqual(m.sharedInterests);
    }
    const left = tickets.filter((t) => !paired.includes(t.sessionId));
    const counts = await Promise.all([matchmakers[0]!.waitingCount('video'), matchmakers[0]!.waitingCount('text')]);
    expect(counts[0] + counts[1]).toBe(left.length);
    for (const [i, x] of left.entries()) {
      for (const y of left.slice(i + 1)) expect(compatible(x, y, context)).toBeNull();
    }
  });

  it('pairs an interest seeker with anyone once the fallback has passed on both sides', async () => {
    const { matchmaker } = await start({ interestFallbackMs: 5000 });
    expect(await matchmaker.enqueue(ticket('a', { interests: ['chess'] }), 0)).toBeNull();
    expect(await matchmaker.enqueue(ticket('b', { interests: ['go'] }), 1000)).toBeNull();
    expect(await matchmaker.retry('a', 4999)).toBeNull();
    expect(await matchmaker.retry('a', 5000)).toBeNull(); // b still insists until 6000
    expect(await matchmaker.retry('a', 6000)).toEqual({ sessionId: 'a', partnerId: 'b', partnerNode: 'local', sharedInterests: [] });
    expect(await matchmaker.waitingCount('video')).toBe(0);
  });

  it('prefers the longest-waiting compatible candidate', async () => {
    const { matchmaker } = await start();
    // Both from DE and wanting FR, so they refuse each other and wait.
    await matchmaker.enqueue(ticket('late', { country: 'DE', countries: ['FR'] }), 5);
    await matchmaker.enqueue(ticket('early', { country: 'DE', countries: ['FR'] }), 1);
    expect(await matchmaker.enqueue(ticket('y', { country: 'FR' }), 10)).toMatchObject({ partnerId: 'early' });
    expect(await matchmaker.enqueue(ticket('z', { country: 'FR' }), 10)).toMatchObject({ partnerId: 'late' });
  });

  it('prefers a shared interest over a longer wait, even after the fallback', async () => {
    const { matchmaker } = await start({ interestFallbackMs: 0 });
    await matchmaker.enqueue(ticket('old', { country: 'DE', countries: ['FR'] }), 0);
    await matchmaker.enqueue(ticket('tagged', { country: 'DE', countries: ['FR'], interests: ['jazz'] }), 1);
    expect(await matchmaker.enqueue(ticket('x', { country: 'FR', interests: ['jazz', 'go'] }), 10)).toEqual({
      sessionId: 'x',
      partnerId: 'tagged',
      partnerNode: 'local',
      sharedInterests: ['jazz'],
    });
    expect(await matchmaker.enqueue(ticket('y', { country: 'FR', interests: ['go'] }), 10)).toEqual({
      sessionId: 'y',
      partnerId: 'old',
      partnerNode: 'local',
      sharedInterests: [],
    });
  });

  it('finds a rare country or interest through its index even when maxScan is tiny', async () => {
    const { matchmaker } = await start({ maxScan: 4 });
    for (let i = 0; i < 50; i += 1) {
      await matchmaker.enqueue(ticket(`de${i}`, { country: 'DE', countries: ['DE'], interests: [`tag${i}`] }), i);
    }
    await matchmaker.enqueue(ticket('jp', { country: 'JP', interests: ['zebra'] }), 100);
    await matchmaker.enqueue(ticket('fr', { country: 'FR', interests: ['okapi'] }), 101);
    expect(await matchmaker.enqueue(ticket('wants-jp', { countries: ['JP'], country: 'FR' }), 20_000)).toMatchObject({ partnerId: 'jp' });
    expect(await matchmaker.enqueue(ticket('likes-okapi', { interests: ['okapi'] }), 20_000)).toMatchObject({
      partnerId: 'fr',
      sharedInterests: ['okapi'],
    });
  });

  it('gets past a head of incompatible tickets longer than maxScan by sampling at random ranks', async () => {
    const { matchmaker } = await start({ maxScan: 4 });
    for (let i = 0; i < 50; i += 1) await matchmaker.enqueue(ticket(`de${i}`, { country: 'DE', countries: ['FR'] }), i);
    await matchmaker.enqueue(ticket('open-de', { country: 'DE' }), 100);
    // Each try sees the two oldest DE tickets and two at a random rank: about 1 in 25 reaches open-de.
    let match: Match | null | 'no_ticket' = await matchmaker.enqueue(ticket('us', { country: 'US', countries: ['DE'] }), 200);
    for (let tries = 0; match === null && tries < 1000; tries += 1) match = await matchmaker.retry('us', 200);
    expect(match).toMatchObject({ partnerId: 'open-de' });
  });

  it('does not pair the same two again until the recent-partner key expires by itself', async () => {
    const { redis, matchmaker } = await start({ recentPartnerSeconds: 60 });
    await redis.config('SET', 'notify-keyspace-events', 'Ex');
    const subscriber = connect();
    await subscriber.subscribe('__keyevent@0__:expired');
    const expired = new Promise<string>((resolve) => {
      subscriber.on('message', (_channel: string, key: string) => {
        if (key.startsWith(`${PREFIX}recent:`)) resolve(key);
      });
    });

    await matchmaker.enqueue(ticket('b'), 0);
    expect(await matchmaker.enqueue(ticket('a'), 1)).toMatchObject({ partnerId: 'b' });
    const recent = await keysUnder(redis, `${PREFIX}recent:`);
    expect(recent).toEqual([`${PREFIX}recent:a|b`]);
    const ttl = await redis.pttl(recent[0]!);
    expect(ttl).toBeGreaterThan(58_000);
    expect(ttl).toBeLessThanOrEqual(60_000);

    expect(await matchmaker.enqueue(ticket('a'), 2)).toBeNull();
    expect(await matchmaker.enqueue(ticket('b'), 3)).toBeNull();
    expect(await matchmaker.waitingCount('video')).toBe(2);

    await redis.pexpire(recent[0]!, 20); // stands in for the 60 s passing
    expect(await expired).toBe(recent[0]);
    expect(await matchmaker.retry('b', 4)).toEqual({ sessionId: 'b', partnerId: 'a', partnerNode: 'local', sharedInterests: [] });
  });

  it('leave() removes the ticket from the queue and every index, and is idempotent', async () => {
    const { redis, matchmaker } = await start();
    await matchmaker.enqueue(ticket('a', { interests: ['chess', 'jazz'], countries: ['FR'], country: 'DE' }), 0);
    expect(await keysUnder(redis, PREFIX)).toEqual([
      `${PREFIX}ticket:a`,
      `${PREFIX}video:accepts:FR`,
      `${PREFIX}video:country:DE`,
      `${PREFIX}video:interest:chess`,
      `${PREFIX}video:interest:jazz`,
      `${PREFIX}video:queue`,
    ]);
    const ttl = await redis.pttl(`${PREFIX}video:interest:chess`);
    expect(ttl).toBeGreaterThan(0);
    await matchmaker.leave('a');
    await matchmaker.leave('a');
    expect(await keysUnder(redis, PREFIX)).toEqual([]);
    // A session without a ticket is told so, for its node to queue it again.
    expect(await matchmaker.retry('a', 1)).toBe('no_ticket');
    expect(await matchmaker.waitingCount('video')).toBe(0);
  });

  it('leaves only recent-partner keys behind after pairs and leaves', async () => {
    const { redis, matchmaker } = await start();
    await matchmaker.enqueue(ticket('a', { interests: ['chess'], country: 'DE' }), 0);
    await matchmaker.enqueue(ticket('b', { interests: ['chess'], countries: ['DE'] }), 1);
    await matchmaker.enqueue(ticket('c', { interests: ['go'], country: 'FR' }), 2);
    await matchmaker.enqueue(ticket('d', { mode: 'text', interests: ['go'] }), 3);
    await matchmaker.leave('c');
    await matchmaker.leave('d');
    await matchmaker.leave('a');
    expect(await keysUnder(redis, PREFIX)).toEqual([`${PREFIX}recent:a|b`]);
  });

  it('replaces the ticket of a session that enqueues again, and never pairs it with itself', async () => {
    const { redis, matchmaker } = await start();
    expect(await matchmaker.enqueue(ticket('a', { interests: ['chess'] }), 0)).toBeNull();
    expect(await matchmaker.enqueue(ticket('a', { interests: ['go'], mode: 'text' }), 1)).toBeNull();
    expect(await matchmaker.retry('a', 100_000)).toBeNull();
    expect(await matchmaker.waitingCount('video')).toBe(0);
    expect(await matchmaker.waitingCount('text')).toBe(1);
    expect(await keysUnder(redis, `${PREFIX}video:`)).toEqual([]);
  });

  it('keeps the modes apart', async () => {
    const { matchmaker } = await start();
    expect(await matchmaker.enqueue(ticket('a', { mode: 'video' }), 0)).toBeNull();
    expect(await matchmaker.enqueue(ticket('b', { mode: 'text' }), 0)).toBeNull();
    expect(await matchmaker.waitingCount('video')).toBe(1);
    expect(await matchmaker.waitingCount('text')).toBe(1);
  });

  it('drops a ticket whose TTL passed (its node died) when a scan meets it', async () => {
    const { redis, matchmaker } = await start();
    await matchmaker.enqueue(ticket('ghost', { country: 'DE' }), 0);
    await redis.del(`${PREFIX}ticket:ghost`); // what the TTL does to a ticket nobody retries
    expect(await matchmaker.enqueue(ticket('a'), 1)).toBeNull();
    expect(await redis.zrange(`${PREFIX}video:queue`, 0, -1)).toEqual(['a']);
  });

  it('rejects bad options and bad tickets with a TypeError', async () => {
    const { redis, matchmaker } = await start();
    await expect(Matchmaker.create(redis, { maxScan: 0 })).rejects.toThrow(TypeError);
    await expect(matchmaker.enqueue(ticket('a', { countries: ['xx'] }), 0)).rejects.toThrow(TypeError);
    await expect(matchmaker.enqueue(ticket('a'), -1)).rejects.toThrow(TypeError);
  });
});

describe('Matchmaker across nodes', () => {
  const NODES = 'veil:node:';

  /** A matchmaker per node on its own connection to one Redis, as nodes run it. */
  async function nodes(names: string[], options: MatchmakerOptions = {}): Promise<{ redis: Redis; of: Record<string, Matchmaker> }> {
    const { redis } = await start();
    const of: Record<string, Matchmaker> = {};
    for (const name of names) {
      await redis.set(NODES + name, '1');
      of[name] = await Matchmaker.create(connect(), { nodeId: name, nodeKeyPrefix: NODES, recentPartnerSeconds: 600, ...options });
    }
    return { redis, of };
  }

  it("pairs chatters of different nodes and names the partner's node", async () => {
    const { of } = await nodes(['n1', 'n2']);
    expect(await of.n1?.enqueue(ticket('a'), 1)).toBeNull();
    expect(await of.n2?.enqueue(ticket('b'), 2)).toEqual({ sessionId: 'b', partnerId: 'a', partnerNode: 'n1', sharedInterests: [] });
  });

  // "far" and "near" insist on different interests, so they wait side by side; "me" shares one with each.
  async function farAndNear(options: MatchmakerOptions = {}): Promise<Record<string, Matchmaker>> {
    const { of } = await nodes(['n1', 'n2'], options);
    expect(await of.n2?.enqueue(ticket('far', { interests: ['chess'] }), 1)).toBeNull();
    expect(await of.n1?.enqueue(ticket('near', { interests: ['go'] }), 2)).toBeNull();
    return of;
  }

  it('prefers a partner on the same node over a longer-waiting one on another node', async () => {
    const of = await farAndNear();
    expect(await of.n1?.enqueue(ticket('me', { interests: ['chess', 'go'] }), 3)).toMatchObject({
      partnerId: 'near',
      partnerNode: 'n1',
      sharedInterests: ['go'],
    });
    expect(await of.n1?.enqueue(ticket('me-too', { interests: ['chess', 'go'] }), 4)).toMatchObject({
      partnerId: 'far',
      partnerNode: 'n2',
      sharedInterests: ['chess'],
    });
  });

  it('with the locality window at 0 takes the longest-waiting partner wherever it is', async () => {
    const of = await farAndNear({ localityWindow: 0 });
    expect(await of.n1?.enqueue(ticket('me', { interests: ['chess', 'go'] }), 3)).toMatchObject({ partnerId: 'far', partnerNode: 'n2' });
  });

  it('looks no further than the locality window past a partner on another node', async () => {
    const { of } = await nodes(['n1', 'n2'], { localityWindow: 1 });
    expect(await of.n2?.enqueue(ticket('far', { interests: ['a'] }), 1)).toBeNull();
    expect(await of.n2?.enqueue(ticket('far-b', { interests: ['b'] }), 2)).toBeNull();
    expect(await of.n1?.enqueue(ticket('near', { interests: ['c'] }), 3)).toBeNull();
    expect(await of.n1?.enqueue(ticket('me', { interests: ['a', 'b', 'c'] }), 4)).toMatchObject({ partnerId: 'far' });
  });

  it('drops the tickets of a node whose registry entry is gone, index entries included', async () => {
    const { redis, of } = await nodes(['n1', 'n2']);
    expect(await of.n2?.enqueue(ticket('ghost', { interests: ['chess'], country: 'FR' }), 1)).toBeNull();
    await redis.del(NODES + 'n2');
    expect(await of.n1?.enqueue(ticket('me'), 2)).toBeNull();
    expect(await keysUnder(redis, `${PREFIX}ticket:ghost`)).toEqual([]);
    expect(await redis.zscore(`${PREFIX}video:interest:chess`, 'ghost')).toBeNull();
    expect(await redis.zscore(`${PREFIX}video:country:FR`, 'ghost')).toBeNull();
    expect(await of.n1?.waitingCount('video')).toBe(1);
  });
});
