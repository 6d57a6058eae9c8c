import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { types } from 'mediasoup';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BanStore } from '../../src/bans/ban-store.js';
import { WorkerPool } from '../../src/media/worker-pool.js';
import { DecoderPool, resolveFfmpeg } from '../../src/media/frame-tap/index.js';
import { ClassifierPool } from '../../src/moderation/classifier-pool.js';
import { parseKeyRing } from '../../src/evidence/crypto.js';
import { EvidenceStore } from '../../src/evidence/store.js';
import {
  Moderator,
  REPORT_RETRY_MS,
  type ModeratedChatter,
  type ModerationAction,
  type ModeratorOptions,
  type SampleOutcome,
} from '../../src/moderation/moderator.js';
import { DEFAULT_POLICY } from '../../src/moderation/policy.js';
import { MIN_MATCH_QUALITY } from '../../src/safety/pdq/match-policy.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';
import { startRtpSource, type RtpSource } from '../support/rtp-source.js';
import { ManualTimers } from '../support/manual-timers.js';
import { seeded } from '../support/seeded-random.js';
import { imageToY4m } from '../support/y4m.js';

/**
 * The moderator on real parts: a mediasoup worker, VP8 producers fed by ffmpeg (or by a socket
 * sending a corrupt keyframe), ffmpeg decoders, classifier worker threads running the real models,
 * an encrypted evidence folder and redis-server. Nothing is mocked. The classifier worker runs from
 * dist/: build first (`npm run --silent build`).
 */
const SCHEDULE = { firstSampleMs: 200, minIntervalMs: 60_000, maxIntervalMs: 60_000, retryAfterDropMs: 500 };
const RETENTION = { unreviewedDays: 30, legalHoldDays: 365 };
const KEY_RING = parseKeyRing(`k1:${'5a'.repeat(32)}`, 'k1');
const DEVICE = { browser: 'Firefox', os: 'Linux', language: 'de-DE' };
const PHOTOS = new URL('../fixtures/photos/', import.meta.url).pathname;
const REFERENCE = /^VB-[A-Z2-9]{10}$/;

let pool: WorkerPool;
let router: types.Router;
let decoders: DecoderPool;
let classifiers: ClassifierPool;
let handle: TestRedis;
let tmp: string;
let evidenceDir: string;
let evidence: EvidenceStore;
let bans: BanStore;
const moderators: Moderator[] = [];
const sources: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'veil-moderator-'));
  const ffmpeg = await resolveFfmpeg();
  [pool, decoders, classifiers, handle] = await Promise.all([
    WorkerPool.create({ count: 1, listenIp: '127.0.0.1', announcedIp: undefined, portBase: 47000 + Math.floor(Math.random() * 1000) }),
    DecoderPool.create({ ffmpegPath: ffmpeg.path, width: 320, size: 1 }),
    ClassifierPool.create({ size: 1 }),
    startTestRedis(),
  ]);
  router = pool.pick().router;
  bans = new BanStore(handle.redis);
  // The first classification after start compiles the models' kernels (seconds); warm them up so
  // the latency asserted below is the moderator's, not the warm-up's.
  await classifiers.classify(new Uint8Array(320 * 240 * 3).fill(128), 320, 240);
});

beforeEach(async () => {
  // Every case starts with no evidence and no bans, so "nothing written" means this case wrote nothing.
  await handle.redis.flushall();
  evidenceDir = mkdtempSync(join(tmp, 'evidence-'));
  evidence = await EvidenceStore.create({ redis: handle.redis, dir: evidenceDir, keyRing: KEY_RING, retention: RETENTION });
});

afterEach(async () => {
  for (const moderator of moderators.splice(0)) await moderator.close();
  await Promise.all(sources.splice(0).map((source) => source.close()));
});

afterAll(async () => {
  for (const moderator of moderators.splice(0)) await moderator.close();
  decoders?.close();
  await decoders?.whenExited();
  await classifiers?.close();
  pool?.close(); // mediasoup 3.12 has no 'subprocessclose' event to await
  await handle?.close();
  rmSync(tmp, { recursive: true, force: true });
});

function moderator(overrides: Partial<ModeratorOptions> = {}): Moderator {
  const created = new Moderator({
    decoders,
    classifiers,
    evidence,
    bans,
    policy: DEFAULT_POLICY,
    schedule: SCHEDULE,
    banDays: 30,
    random: seeded(1),
    ...overrides,
  });
  moderators.push(created);
  return created;
}

async function source(options: Parameters<typeof startRtpSource>[1] = {}): Promise<RtpSource> {
  const started = await startRtpSource(router, { width: 640, height: 480, fps: 15, gop: 5, ...options });
  sources.push(started);
  return started;
}

let chatterCount = 0;
function chatter(producer: types.Producer | undefined): ModeratedChatter {
  const id = `visit-${++chatterCount}-${process.pid}`;
  return {
    id,
    ipHash: createHash('sha256').update(`address of ${id}`).digest('hex'),
    device: { ...DEVICE },
    videoSource: producer ? { router, producer } : undefined,
  };
}

/** Every 'sample' event of this moderator, in order. */
function recordSamples(target: Moderator): { chatterId: string; outcome: SampleOutcome; at: number }[] {
  const seen: { chatterId: string; outcome: SampleOutcome; at: number }[] = [];
  target.on('sample', (chatterId, outcome) => seen.push({ chatterId, outcome, at: Date.now() }));
  return seen;
}

function recordActions(target: Moderator): ModerationAction[] {
  const seen: ModerationAction[] = [];
  target.on('action', (action) => seen.push(action));
  return seen;
}

/** The next 'sample' event for this chatter; `then` runs inside the listener (before the moderator reschedules). */
function nextSample(target: Moderator, chatterId: string, timeoutMs: number, then?: () => void): Promise<SampleOutcome> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      target.off('sample', listener);
      reject(new Error(`no sample for ${chatterId} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (id: string, outcome: SampleOutcome): void => {
      if (id !== chatterId) return;
      clearTimeout(timer);
      target.off('sample', listener);
      then?.();
      resolve(outcome);
    };
    target.on('sample', listener);
  });
}

/** The next `count` 'sample' events for this chatter, in order. */
function waitForSamples(target: Moderator, chatterId: string, count: number, timeoutMs: number): Promise<SampleOutcome[]> {
  return new Promise((resolve, reject) => {
    const seen: SampleOutcome[] = [];
    const timer = setTimeout(() => {
      target.off('sample', listener);
      reject(new Error(`${seen.length} of ${count} samples for ${chatterId} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (id: string, outcome: SampleOutcome): void => {
      if (id !== chatterId) return;
      seen.push(outcome);
      if (seen.length < count) return;
      clearTimeout(timer);
      target.off('sample', listener);
      resolve(seen);
    };
    target.on('sample', listener);
  });
}

/** What the stores hold: evidence files, evidence records (and indexes), bans. */
async function written(): Promise<{ files: string[]; evidenceKeys: string[]; banKeys: string[] }> {
  return {
    files: readdirSync(evidenceDir),
    evidenceKeys: await handle.redis.keys('veil:evidence*'),
    banKeys: await handle.redis.keys('veil:ban:*'),
  };
}
const NOTHING = { files: [], evidenceKeys: [], banKeys: [] };

function expectClassified(outcome: SampleOutcome): asserts outcome is Extract<SampleOutcome, { status: 'classified' }> {
  expect(outcome, JSON.stringify(outcome)).toMatchObject({ status: 'classified' });
}

/**
 * A producer whose sender sends, every 50 ms, one RTP packet that looks like a whole VP8 keyframe
 * (payload descriptor with S bit, partition 0 and a picture id; key-frame tag, start code 9d 01 2a,
 * 640x480) followed by random bytes, marker bit set. The tag's first-partition size (2^19 - 1) is
 * larger than the frame, so no decoder can make an image of it, whatever the random bytes are.
 */
async function corruptSource(): Promise<{ producer: types.Producer; packetsSent: () => number; close(): Promise<void> }> {
  const transport = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: true });
  const ssrc = 20_000 + Math.floor(Math.random() * 1_000_000);
  const producer = await transport.produce({
    kind: 'video',
    rtpParameters: {
      codecs: [
        {
          mimeType: 'video/VP8',
          payloadType: 101,
          clockRate: 90000,
          rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
        },
      ],
      encodings: [{ ssrc }],
    },
  });
  const socket = createSocket('udp4');
  const random = seeded(0xbad);
  let seq = Math.floor(random() * 65536);
  let timestamp = Math.floor(random() * 2 ** 31);
  let pictureId = 0;
  let sent = 0;
  const send = (): void => {
    const garbage = Array.from({ length: 900 }, () => Math.floor(random() * 256));
    const vp8 = [
      0x90,
      0x80,
      0x80 | ((pictureId >> 8) & 0x7f),
      pictureId & 0xff, // X S, PID 0; M: 15-bit picture id
      0xf0,
      0xff,
      0xff, // key frame, version 0, shown, first partition size 0x7ffff
      0x9d,
      0x01,
      0x2a, // start code
      0x80,
      0x02,
      0xe0,
      0x01, // 640 x 480
      ...garbage,
    ];
    const packet = Buffer.alloc(12 + vp8.length);
    packet[0] = 0x80;
    packet[1] = 0x80 | 101; // marker: the frame ends in this packet
    packet.writeUInt16BE(seq, 2);
    packet.writeUInt32BE(timestamp, 4);
    packet.writeUInt32BE(ssrc, 8);
    Buffer.from(vp8).copy(packet, 12);
    socket.send(packet, transport.tuple.localPort, '127.0.0.1');
    seq = (seq + 1) & 0xffff;
    timestamp = (timestamp + 4500) >>> 0; // 50 ms at 90 kHz
    pictureId = (pictureId + 1) & 0x7fff;
    sent++;
  };
  const timer = setInterval(send, 50);
  send();
  const corrupt = {
    producer,
    packetsSent: () => sent,
    async close() {
      clearInterval(timer);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      transport.close();
    },
  };
  sources.push(corrupt);
  return corrupt;
}

describe('Moderator on real media, decoders, classifiers and stores', () => {
  it('a clean stream: the first sample comes soon after pairing, is classified, acts on nothing and writes nothing', async () => {
    const clean = await source({ pattern: 'red-blue' });
    const timers = new ManualTimers();
    const mod = moderator({ timers });
    const samples = recordSamples(mod);
    const actions = recordActions(mod);
    const visitor = chatter(clean.producer);

    mod.paired(visitor);
    expect(timers.pending()).toEqual([SCHEDULE.firstSampleMs]);
    const firedAt = Date.now();
    const sampled = nextSample(mod, visitor.id, 10_000);
    timers.fireNext();
    const outcome = await sampled;
    const elapsedMs = Date.now() - firedAt;

    expectClassified(outcome);
    expect(elapsedMs).toBeLessThan(3000); // source start, ≤ 333 ms to a keyframe, decode, classify
    expect(outcome.decision).toEqual({ action: 'none' });
    expect(outcome.evidenceId).toBeNull();
    expect(outcome.classification.pdq).toMatchObject({ hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(outcome.classification.hashMatch).toBeNull();
    const nudity = outcome.classification.nudity;
    expect(nudity).not.toBeNull();
    expect(Object.values(nudity!).reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 3);
    expect(outcome.timings.keyframeMs + outcome.timings.decodeMs).toBeLessThan(3000);
    expect(mod.counters).toEqual({ classified: 1, flagged: 0, dropped: 0, failed: 0 });
    expect(mod.lastError).toBeNull();
    expect(actions).toEqual([]);
    expect(await written()).toEqual(NOTHING);

    // The next scheduled sample is a minute away; unpairing cancels it, and nothing else is scheduled.
    await timers.whenSet();
    expect(timers.pending()).toEqual([SCHEDULE.minIntervalMs]);
    mod.unpaired(visitor.id);
    expect(timers.pending()).toEqual([]);
    expect(samples).toHaveLength(1);
  });

  it('samples again on schedule while paired, and not at all once unpaired', async () => {
    const clean = await source({ pattern: 'red' });
    const timers = new ManualTimers();
    const mod = moderator({ schedule: { ...SCHEDULE, minIntervalMs: 100, maxIntervalMs: 150 }, timers });
    const samples = recordSamples(mod);
    const visitor = chatter(clean.producer);

    mod.paired(visitor);
    const first = nextSample(mod, visitor.id, 10_000);
    timers.fireNext();
    expectClassified(await first);
    // While paired, the next sample is scheduled at once, within the configured interval.
    await timers.whenSet();
    const [interval] = timers.pending();
    expect(interval).toBeGreaterThanOrEqual(100);
    expect(interval).toBeLessThanOrEqual(150);
    // unpaired from inside the second sample's event: no sample is in flight, none may follow.
    const second = nextSample(mod, visitor.id, 10_000, () => mod.unpaired(visitor.id));
    timers.fireNext();
    expectClassified(await second);
    expect(samples).toHaveLength(2);
    expect(timers.pending()).toEqual([]);
    expect(await written()).toEqual(NOTHING);
  });

  it("a new pairing gets its own first sample even while the previous pairing's sample is still running", async () => {
    // A keyframe a second (ffmpeg ignores keyframe requests): the first sample waits ~0.5 s for one.
    const clean = await source({ pattern: 'red', gop: 15 });
    const timers = new ManualTimers();
    const mod = moderator({ schedule: { ...SCHEDULE, firstSampleMs: 0 }, timers });
    const samples = recordSamples(mod);
    const visitor = chatter(clean.producer);

    // A first pairing makes the tap; the second's sample then holds it while it waits for a keyframe.
    mod.paired(visitor);
    const made = nextSample(mod, visitor.id, 10_000);
    timers.fireNext();
    expectClassified(await made);
    mod.unpaired(visitor.id);
    samples.splice(0);
    mod.paired(visitor);
    const both = waitForSamples(mod, visitor.id, 2, 10_000);
    timers.fireNext(); // that pairing's first sample starts and waits for a keyframe
    // Next, at once: unpaired and paired again while that sample waits (the new one finds the tap busy).
    mod.unpaired(visitor.id);
    mod.paired(visitor);
    timers.fireNext();
    const statuses = (await both).map((outcome) => outcome.status).sort();
    expect(statuses).toEqual(['classified', 'dropped']);
    // The first pairing's late finish must not push the second's retry a minute away.
    await timers.whenSet(SCHEDULE.retryAfterDropMs);
    expect(timers.pending()).toEqual([SCHEDULE.retryAfterDropMs]);
    const retried = nextSample(mod, visitor.id, 10_000);
    timers.fireNext();
    expectClassified(await retried);
    // Each pairing got a classified sample.
    const classified = samples.filter((s) => s.chatterId === visitor.id && s.outcome.status === 'classified');
    expect(classified, JSON.stringify(samples.map((s) => s.outcome.status))).toHaveLength(2);
  });

  it('overlapping samples (a report during a scheduled one) share one tap, and leaving releases it', async () => {
    const clean = await source({ pattern: 'red' });
    const timers = new ManualTimers();
    // A scheduled sample that loses the tap retries at 700 ms, a report at REPORT_RETRY_MS: told apart below.
    const mod = moderator({ schedule: { ...SCHEDULE, retryAfterDropMs: 700 }, timers });
    const visitor = chatter(clean.producer);
    const transportsBefore = (await router.dump()).transportIds.length;

    mod.paired(visitor);
    timers.fireNext(); // the scheduled sample starts making the tap; the report joins it
    const reporting = mod.reported(visitor);
    let settled = false;
    void reporting.finally(() => (settled = true));
    // Whichever lost the tap was dropped. A dropped report tries again REPORT_RETRY_MS later: fire
    // each retry once the scheduled sample has finished (it then schedules the next, a minute away).
    while (!settled) {
      const retry = timers
        .whenSet(SCHEDULE.minIntervalMs)
        .then(() => timers.whenSet(REPORT_RETRY_MS))
        .then(() => 'retry' as const);
      if ((await Promise.race([reporting.then(() => 'done' as const), retry])) === 'retry') timers.fire(REPORT_RETRY_MS);
    }
    expectClassified(await reporting);
    expect((await router.dump()).transportIds.length).toBe(transportsBefore + 1);
    mod.left(visitor.id);
    await expect.poll(async () => (await router.dump()).transportIds.length).toBe(transportsBefore);
  });

  it('a corrupt stream fails with a message saying why, nothing is written, and the same decoders then serve a clean stream', async () => {
    const corrupt = await corruptSource();
    const mod = moderator();
    const actions = recordActions(mod);
    const broken = chatter(corrupt.producer);
    const decoderPidsBefore = decoders.pids;

    mod.paired(broken);
    // unpaired inside the event, so the moderator's quick retry does not hold the only decoder
    const failed = await nextSample(mod, broken.id, 10_000, () => mod.unpaired(broken.id));
    expect(corrupt.packetsSent()).toBeGreaterThan(5);
    expect(failed, JSON.stringify(failed)).toMatchObject({ status: 'failed' });
    if (failed.status !== 'failed') return;
    expect(failed.error).toMatch(/ffmpeg gave no image within \d+ ms/);
    expect(mod.lastError).toBe(failed.error);
    expect(mod.counters.failed).toBeGreaterThanOrEqual(1);
    expect(mod.counters.classified).toBe(0);
    expect(decoders.pids.filter((pid) => decoderPidsBefore.includes(pid))).toEqual([]); // the stuck decoder was killed
    expect(actions).toEqual([]);
    expect(await written()).toEqual(NOTHING);

    const clean = await source({ pattern: 'red-blue' });
    const healthy = chatter(clean.producer);
    mod.paired(healthy);
    const recovered = await nextSample(mod, healthy.id, 10_000);
    expectClassified(recovered);
    expect(recovered.decision).toEqual({ action: 'none' });
    expect(mod.lastError).toBeNull();
    expect(mod.counters).toMatchObject({ classified: 1, failed: 1 });
    expect(decoders.pids).toHaveLength(1);
    expect(await written()).toEqual(NOTHING);
  });

  it('a frame matching the hash list: evidence under legal hold, a ban of the address hash and a ban action', async () => {
    const clip = await imageToY4m({ image: join(PHOTOS, 'camera.png'), output: join(tmp, 'camera.y4m'), seconds: 1 });
    const photo = await source({ input: clip });
    const visitor = chatter(photo.producer);

    // 1. The hash of this stream's frames, as the moderator sees them (no list loaded yet).
    const plain = moderator({
      evidence: await EvidenceStore.create({ redis: handle.redis, dir: join(tmp, 'scratch-evidence'), keyRing: KEY_RING, retention: RETENTION }),
    });
    plain.paired(visitor);
    const first = await nextSample(plain, visitor.id, 10_000, () => plain.unpaired(visitor.id));
    expectClassified(first);
    expect(first.classification.hashMatch).toBeNull();
    const pdq = first.classification.pdq!;
    expect(pdq.quality).toBeGreaterThanOrEqual(MIN_MATCH_QUALITY); // a flat frame would never match
    await plain.close();
    await handle.redis.flushall(); // whatever the first pass may have stored (e.g. a face under 25)

    // 2. The same stream against a list holding that hash.
    const listPath = join(tmp, 'hash-list.txt');
    writeFileSync(listPath, `# test list\n${'f'.repeat(64)}\n${pdq.hash}\n`);
    const listed = await ClassifierPool.create({ size: 1, hashListPath: listPath });
    try {
      expect(listed.health().modelErrors).toEqual({});
      const mod = moderator({ classifiers: listed });
      const actions = recordActions(mod);
      const outcome = await mod.reported(visitor);

      expectClassified(outcome);
      expect(outcome.decision).toEqual({ action: 'end_and_ban', reason: 'csam_hash_match', legalHold: true, purgeSession: false });
      expect(outcome.classification.hashMatch).toMatchObject({ entryIndex: 1, entryLine: 3 });
      expect(outcome.classification.hashMatch!.distance).toBeLessThanOrEqual(DEFAULT_POLICY.hashMatchMaxDistance);
      expect(outcome.evidenceId).toEqual(expect.any(String));
      expect(mod.counters).toMatchObject({ classified: 1, flagged: 1, failed: 0 });

      expect(actions).toHaveLength(1);
      const [action] = actions;
      expect(action).toMatchObject({ type: 'ban', chatterId: visitor.id });
      if (action?.type !== 'ban' || action.ban === null) throw new Error(`expected a ban, got ${JSON.stringify(action)}`);
      expect(action.ban).toMatchObject({ referenceId: expect.stringMatching(REFERENCE), reason: 'csam_hash_match', evidenceId: outcome.evidenceId });
      expect(action.ban.expiresAt - action.ban.createdAt).toBe(30 * 86_400_000);
      expect(await bans.get(visitor.ipHash)).toEqual(action.ban);

      const records = await evidence.list({ limit: 10 });
      expect(records).toHaveLength(1);
      const [record] = records;
      expect(record).toMatchObject({ id: outcome.evidenceId, reason: 'csam_hash_match', ipHash: visitor.ipHash, device: DEVICE, sessionRef: visitor.id });
      expect(record!.legalHold?.until).toBeGreaterThan(Date.now() + 364 * 86_400_000);
      expect(record!.scores.hashMatchDistance).toBe(outcome.classification.hashMatch!.distance);
      expect(readdirSync(evidenceDir)).toHaveLength(1);

      const jpeg = await evidence.decrypt(record!.id);
      expect([...jpeg.subarray(0, 2)]).toEqual([0xff, 0xd8]);
      const meta = await sharp(jpeg).metadata();
      expect(meta).toMatchObject({ format: 'jpeg', width: 320, height: 240 }); // the 640x480 source at the sample width
    } finally {
      await listed.close();
    }
  });

  it('a report keeps a clean frame for review (user_report): stored, no ban, no action', async () => {
    const clean = await source({ pattern: 'red-blue' });
    const mod = moderator();
    const actions = recordActions(mod);
    const visitor = chatter(clean.producer);

    const outcome = await mod.reported(visitor);
    expectClassified(outcome);
    expect(outcome.decision).toEqual({ action: 'review', reason: 'user_report', blur: false, endPair: false });
    expect(outcome.evidenceId).toEqual(expect.any(String));
    expect(actions).toEqual([]);
    const records = await evidence.list({ limit: 10 });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ id: outcome.evidenceId, reason: 'user_report', ipHash: visitor.ipHash, device: DEVICE });
    expect(records[0]!.legalHold).toBeUndefined();
    expect(readdirSync(evidenceDir)).toHaveLength(1);
    expect(await handle.redis.keys('veil:ban:*')).toEqual([]);
    expect(await bans.get(visitor.ipHash)).toBeNull();
  });

  it('close() lets a report sample under way finish: its evidence is stored before close() resolves', async () => {
    const clean = await source({ pattern: 'red-blue' });
    const mod = moderator();
    const reporting = mod.reported(chatter(clean.producer));
    await mod.close();
    const outcome = await reporting;
    expectClassified(outcome);
    expect(await evidence.count()).toBe(1);
    await expect(mod.reported(chatter(clean.producer))).resolves.toMatchObject({ status: 'skipped', reason: 'moderation is shutting down' });
  });

  it('a chatter without live video is skipped: no tap, no classification, nothing written', async () => {
    const mod = moderator();
    const samples = recordSamples(mod);
    const actions = recordActions(mod);
    const visitor = chatter(undefined);
    const transportsBefore = (await router.dump()).transportIds.length;

    mod.paired(visitor);
    expect(await nextSample(mod, visitor.id, 2000)).toEqual({ status: 'skipped', reason: 'no live video' });
    expect(await mod.reported(visitor)).toEqual({ status: 'skipped', reason: 'no live video' });
    expect(samples).toHaveLength(2);
    expect(mod.counters).toEqual({ classified: 0, flagged: 0, dropped: 0, failed: 0 });
    expect(mod.lastError).toBeNull();
    expect(actions).toEqual([]);
    expect((await router.dump()).transportIds.length).toBe(transportsBefore);
    expect(await written()).toEqual(NOTHING);
  });
});
