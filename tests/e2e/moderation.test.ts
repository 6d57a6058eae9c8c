import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashAddress } from '../../src/edge/client-address.js';
import type { SampleOutcome } from '../../src/moderation/moderator.js';
import { AccountStore } from '../../src/console/accounts/account-store.js';
import { pdqHashFile } from '../../src/safety/pdq/image-file.js';
import { MODERATED_APP, startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, type LaunchedBrowser } from '../support/chromium.js';
import { imageState, logInToConsole, openItem, queueRow } from '../support/console-page.js';
import { openVeil, pairUp, sendChat, waitForPartnerMedia, waitForPartnerMessage, waitForState } from '../support/veil-page.js';
import { imageToY4m } from '../support/y4m.js';

const PHOTO = join(process.cwd(), 'tests', 'fixtures', 'photos', 'astronaut.png');
/** Documentation addresses (RFC 5737) the two browsers appear to come from, via X-Forwarded-For. */
const ADDRESS = { photo: '203.0.113.7', pattern: '198.51.100.9' } as const;

/** Live-video moderation end to end: Chromium's fake camera plays a real photo. */
describe('moderation of live video in real browsers', () => {
  let work: string;
  let photoY4m: string;
  const browsers: LaunchedBrowser[] = [];
  const apps: TestApp[] = [];

  const start = async (overrides: Parameters<typeof startTestApp>[0]): Promise<TestApp> => {
    const app = await startTestApp({ ...MODERATED_APP, ...overrides });
    apps.push(app);
    return app;
  };
  const open = async (app: TestApp, from: keyof typeof ADDRESS): Promise<LaunchedBrowser> => {
    const b = await launchBrowser({ secureOrigins: [app.app.url], ...(from === 'photo' ? { fakeVideoFile: photoY4m } : {}) });
    browsers.push(b);
    await b.context.setExtraHTTPHeaders({ 'X-Forwarded-For': ADDRESS[from] });
    await openVeil(b.page, app.app.url);
    return b;
  };
  /** Resolves with the first finished sample of each of `count` chatters. */
  const firstSamples = (app: TestApp, count: number): Promise<Map<string, SampleOutcome>> =>
    new Promise((resolve) => {
      const seen = new Map<string, SampleOutcome>();
      const moderator = app.app.moderation?.moderator;
      if (!moderator) throw new Error('moderation is off in this app');
      const onSample = (chatterId: string, outcome: SampleOutcome): void => {
        if (!seen.has(chatterId)) seen.set(chatterId, outcome);
        if (seen.size < count) return;
        moderator.off('sample', onSample);
        resolve(seen);
      };
      moderator.on('sample', onSample);
    });
  const evidenceFiles = (app: TestApp): string[] => readdirSync(join(app.dataDir, 'evidence'));
  /** Every file under the data folder (Redis's own files included), for before/after comparison. */
  const dataFiles = (app: TestApp): string[] => (readdirSync(app.dataDir, { recursive: true }) as string[]).sort();
  const redisKeys = (app: TestApp, pattern: string): Promise<string[]> => app.app.redis.redis.keys(pattern);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'veil-moderation-e2e-'));
    photoY4m = await imageToY4m({ image: PHOTO, output: join(work, 'astronaut.y4m') });
  });
  afterEach(async () => {
    await Promise.all(browsers.splice(0).map((b) => b.close()));
    await Promise.all(apps.splice(0).map((a) => a.close()));
  });
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('samples each stream soon after pairing, classifies it, finds the face, and keeps nothing of a clean chat', async () => {
    const app = await start({});
    expect(app.app.moderation?.health()).toMatchObject({ status: 'ok', ffmpeg: { source: expect.any(String) } });
    const photo = await open(app, 'photo');
    const pattern = await open(app, 'pattern');
    const filesBefore = dataFiles(app);
    const samples = firstSamples(app, 2);
    await pairUp(photo.page, pattern.page, { mode: 'video' });
    const outcomes = [...(await samples).values()];
    for (const outcome of outcomes) {
      expect(outcome.status, JSON.stringify(outcome)).toBe('classified');
      if (outcome.status !== 'classified') continue;
      expect(outcome.decision).toEqual({ action: 'none' });
      expect(outcome.classification.pdq?.hash).toMatch(/^[0-9a-f]{64}$/);
      const nudity = outcome.classification.nudity;
      expect(nudity).not.toBeNull();
      expect(Object.values(nudity ?? {}).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
    }
    // The photo's face is found and given an adult age; the test pattern has no face.
    const faces = outcomes.map((o) => (o.status === 'classified' ? (o.classification.faces ?? []) : []));
    const withFace = faces.filter((f) => f.length > 0);
    expect(withFace).toHaveLength(1);
    expect(withFace[0]?.[0]?.age).toBeGreaterThan(25);
    // The node's /metrics counts both samples and times their stages; the pairing and its media too.
    const metrics = await (await fetch(app.app.metricsUrl ?? '')).text();
    expect(metrics).toMatch(/^veil_moderation_samples_total\{outcome="none"\} 2$/m);
    expect(metrics).toMatch(/^veil_moderation_stage_seconds_count\{stage="nudity"\} 2$/m);
    expect(metrics).toMatch(/^veil_pairings_total\{locality="same_node"\} 1$/m);
    expect(metrics).toMatch(/^veil_media_streams\{kind="consumer"\} [1-9]/m);
    expect(metrics).toMatch(/^veil_rtp\{counter="packets_in"\} [1-9]/m);

    // Nothing was written: no new file at all, no evidence record, no ban; the chat goes on.
    expect(dataFiles(app)).toEqual(filesBefore);
    expect(evidenceFiles(app)).toEqual([]);
    expect(await redisKeys(app, 'veil:evidence*')).toEqual([]);
    expect(await redisKeys(app, 'veil:ban:*')).toEqual([]);
    const before = await waitForPartnerMedia(pattern.page);
    await waitForPartnerMedia(pattern.page, before.videoFramesDecoded);
    await sendChat(photo.page, 'still here after the check');
    await waitForPartnerMessage(pattern.page, 'still here after the check');
  });

  it('ends the chatter whose camera shows a listed photo: banned with a reference id, evidence encrypted; the partner can go on', async () => {
    const listFile = join(work, 'hash-list.txt');
    const { hash } = await pdqHashFile(PHOTO);
    writeFileSync(listFile, `${hash}\n`);
    const app = await start({ pdqHashListFile: listFile });
    const photo = await open(app, 'photo');
    const pattern = await open(app, 'pattern');
    await pairUp(photo.page, pattern.page, { mode: 'video' });

    // The photo's chatter is cut off with a plain message and a reference id ...
    await waitForState(photo.page, 'error');
    const message = (await photo.page.textContent('#status')) ?? '';
    expect(message).toMatch(/suspended for a child-safety violation\. Reference VB-[A-Z2-9]{10}\. It ends on \d{4}-\d\d-\d\d \d\d:\d\d UTC\./);
    // ... the partner is told the stranger disconnected, and can look for someone else.
    await waitForState(pattern.page, 'partner-left');
    expect(await pattern.page.textContent('#status')).toBe('Stranger disconnected.');
    expect(await pattern.page.isEnabled('#next')).toBe(true);

    // The ban rests on the keyed hash of the photo chatter's address, not the partner's.
    const secret = readFileSync(join(app.dataDir, 'ip-hash.key'), 'utf8').trim();
    const ban = await app.app.bans.get(hashAddress(ADDRESS.photo, secret));
    expect(ban?.reason).toBe('csam_hash_match');
    expect(message).toContain(ban?.referenceId);
    expect(await app.app.bans.get(hashAddress(ADDRESS.pattern, secret))).toBeNull();

    // The evidence: one encrypted file under legal hold that decrypts to the sampled JPEG.
    const [record, ...others] = await app.app.evidence.list({ limit: 10 });
    expect(others).toEqual([]);
    expect(record).toMatchObject({ reason: 'csam_hash_match', ipHash: hashAddress(ADDRESS.photo, secret), device: { browser: 'Chrome', os: 'Linux' } });
    expect(record?.legalHold?.until).toBeGreaterThan(Date.now() + 364 * 86_400_000);
    expect(ban?.evidenceId).toBe(record?.id);
    const files = evidenceFiles(app);
    expect(files).toEqual([`${record?.id}.bin`]);
    const stored = readFileSync(join(app.dataDir, 'evidence', files[0] ?? ''));
    expect(stored.includes(Buffer.from([0xff, 0xd8, 0xff]))).toBe(false);
    const jpeg = await app.app.evidence.decrypt(record?.id ?? '');
    expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(await sharp(jpeg).metadata()).toMatchObject({ format: 'jpeg', width: 320 });

    // Coming back does not help: the ban is enforced at connect.
    await photo.page.reload();
    await waitForState(photo.page, 'error');
    expect(await photo.page.textContent('#status')).toContain(ban?.referenceId);

    // A moderator finds the item at the top of the console's queue, its image blurred and grey.
    const password = 'a long moderator password';
    const { totpSecret } = await new AccountStore({ redis: app.app.redis.redis }).create({ name: 'mod.pdq', role: 'moderator', password });
    const moderator = await launchBrowser();
    browsers.push(moderator);
    await logInToConsole(moderator.page, app.app.url, { name: 'mod.pdq', password, totpSecret });
    const row = await moderator.page.waitForSelector(queueRow(record?.id ?? ''));
    expect(await row.getAttribute('data-reason')).toBe('csam_hash_match');
    expect(await moderator.page.$eval('#queue .queue-item', (first) => (first as HTMLElement).dataset.id)).toBe(record?.id);
    await openItem(moderator.page, record?.id ?? '');
    const shown = await imageState(moderator.page);
    expect(shown.concealed).toBe(true);
    expect(shown.filter).toMatch(/blur\(.*grayscale\(1\)|grayscale\(1\).*blur\(/);
  });

  it('a report samples the reported stream at once and sends it to review whatever the classifiers say', async () => {
    const app = await start({});
    const photo = await open(app, 'photo');
    const pattern = await open(app, 'pattern');
    const firsts = firstSamples(app, 2);
    await pairUp(photo.page, pattern.page, { mode: 'video' });
    await firsts;
    expect(evidenceFiles(app)).toEqual([]);
    const reportSample = firstSamples(app, 1);
    await pattern.page.click('#report');
    await pattern.page.selectOption('#report-reason', 'other');
    await pattern.page.click('#report-confirm');
    const [outcome] = [...(await reportSample).values()];
    expect(outcome).toMatchObject({ status: 'classified', decision: { action: 'review', reason: 'user_report' } });
    const secret = readFileSync(join(app.dataDir, 'ip-hash.key'), 'utf8').trim();
    const [record, ...others] = await app.app.evidence.list({ limit: 10 });
    expect(others).toEqual([]);
    expect(record).toMatchObject({ reason: 'user_report', ipHash: hashAddress(ADDRESS.photo, secret) });
    expect(record?.legalHold).toBeUndefined();
    // The report itself leaves the review queue: its frame sample stands for it there.
    await expect.poll(() => app.app.reports.reviewCount()).toBe(0);
    expect(await app.app.reports.listByHash(hashAddress(ADDRESS.photo, secret))).toHaveLength(1);
    expect(evidenceFiles(app)).toEqual([`${record?.id}.bin`]);
    expect(await redisKeys(app, 'veil:ban:*')).toEqual([]);
  });

  it('nudity with review_and_blur blurs the flagged video for the partner; review_and_end ends the pair', async () => {
    // A threshold of 0 makes every frame "explicit": the only way to drive this path without such images.
    const blurApp = await start({ nudityThreshold: 0, nudityAction: 'review_and_blur' });
    const photo = await open(blurApp, 'photo');
    const pattern = await open(blurApp, 'pattern');
    const samples = firstSamples(blurApp, 2);
    await pairUp(photo.page, pattern.page, { mode: 'video' });
    for (const outcome of (await samples).values()) {
      expect(outcome).toMatchObject({ status: 'classified', decision: { action: 'review', reason: 'nudity', blur: true, endPair: false } });
    }
    for (const page of [photo.page, pattern.page]) await page.waitForSelector('#remote-video.moderation-blur');
    expect(await blurApp.app.evidence.list({ limit: 10 })).toHaveLength(2);
    await sendChat(photo.page, 'blurred but still talking');
    await waitForPartnerMessage(pattern.page, 'blurred but still talking');
    await Promise.all(browsers.splice(0).map((b) => b.close()));

    const endApp = await start({ nudityThreshold: 0, nudityAction: 'review_and_end' });
    const one = await open(endApp, 'photo');
    const two = await open(endApp, 'pattern');
    await pairUp(one.page, two.page, { mode: 'video' });
    await Promise.all([waitForState(one.page, 'partner-left'), waitForState(two.page, 'partner-left')]);
    const statuses = await Promise.all([one.page.textContent('#status'), two.page.textContent('#status')]);
    // Whoever was flagged first is told moderation ended the chat; the other that the stranger left.
    expect(statuses.sort()).toEqual(['Stranger disconnected.', 'This chat was ended by moderation because it may break our Guidelines.']);
  });

  it('without ffmpeg and with a model missing, moderation reports degraded and video chat still works', async () => {
    const emptyModels = mkdtempSync(join(work, 'no-model-'));
    const app = await start({ ffmpegPath: join(work, 'no-such-ffmpeg'), nudityModelDir: emptyModels });
    const ready = await fetch(`${app.app.url}/readyz`);
    expect(ready.status).toBe(503);
    expect((await fetch(`${app.app.url}/healthz`)).status).toBe(200);
    const health = (await ready.json()) as { status: string; reasons: string[]; moderation: { status: string; problems: string[] } };
    expect(health).toMatchObject({ status: 'not_ready', reasons: ['moderation is degraded'] });
    expect(health.moderation.status).toBe('degraded');
    expect(health.moderation.problems.join('\n')).toMatch(/frame tap: ffmpeg path from the configuration .*no-such-ffmpeg.* is not usable/);
    expect(health.moderation.problems.join('\n')).toMatch(/nudity: .*model/i);

    const photo = await open(app, 'photo');
    const pattern = await open(app, 'pattern');
    const samples = firstSamples(app, 2);
    await pairUp(photo.page, pattern.page, { mode: 'video' });
    for (const outcome of (await samples).values()) expect(outcome).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/no ffmpeg/) });
    const seen = await waitForPartnerMedia(photo.page);
    await waitForPartnerMedia(photo.page, seen.videoFramesDecoded);
    await sendChat(pattern.page, 'no moderation, still chatting');
    await waitForPartnerMessage(photo.page, 'no moderation, still chatting');
    expect(evidenceFiles(app)).toEqual([]);
  });
});
