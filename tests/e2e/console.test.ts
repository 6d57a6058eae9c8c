import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountStore } from '../../src/console/accounts/account-store.js';
import { hashAddress } from '../../src/edge/client-address.js';
import type { SampleOutcome } from '../../src/moderation/moderator.js';
import { MODERATED_APP, startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, type LaunchedBrowser } from '../support/chromium.js';
import {
  auditRows,
  banFromConsole,
  imageState,
  logInToConsole,
  openItem,
  queueRow,
  refreshQueue,
  waitForItemMessage,
  waitForView,
  type ConsoleCredentials,
} from '../support/console-page.js';
import { openVeil, pairUp, waitForState } from '../support/veil-page.js';
import { imageToY4m } from '../support/y4m.js';

const PHOTO = join(process.cwd(), 'tests', 'fixtures', 'photos', 'astronaut.png');
/** Documentation addresses (RFC 5737) the two chat browsers appear to come from, via X-Forwarded-For. */
const ADDRESS = { photo: '203.0.113.7', pattern: '198.51.100.9', texter: '192.0.2.10', reporter: '192.0.2.11' } as const;
const PASSWORD = 'correct horse battery staple';
const DAY_MS = 86_400_000;

/**
 * The moderator console end to end: items flagged by the real moderation pipeline (Chromium's
 * fake camera, ffmpeg, the classifier workers) are reviewed in the real console page by two
 * moderators and an admin, each in a browser context of their own. The two flows share one app:
 * flow A bans (and the admin lifts the ban), flow B dismisses and escalates, then the admin reads the audit log of both.
 */
describe('the moderator console in real browsers against the real app', () => {
  let work: string;
  let app: TestApp;
  let secret: string;
  const browsers: LaunchedBrowser[] = [];
  const accounts = {} as Record<'mod.a' | 'mod.b' | 'adm.x', ConsoleCredentials>;
  let photoChat: LaunchedBrowser;
  /** One browser for the console; each account gets a context (cookie jar) of its own. */
  let consoleBrowser: LaunchedBrowser;
  /** Console pages, one browser context (cookie jar) each. */
  const consoles: Partial<Record<'mod.a' | 'mod.b' | 'adm.x', Page>> = {};
  /** The evidence ids: the photo's and the pattern's first samples, and the sample a report took of the photo. */
  const items = { photo: '', pattern: '', report: '' };

  const page = (name: keyof typeof consoles): Page => {
    const found = consoles[name];
    if (!found) throw new Error(`${name} is not signed in (an earlier step failed)`);
    return found;
  };
  const openChat = async (from: keyof typeof ADDRESS, photoY4m: string): Promise<LaunchedBrowser> => {
    const b = await launchBrowser({ secureOrigins: [app.app.url], ...(from === 'photo' ? { fakeVideoFile: photoY4m } : {}) });
    browsers.push(b);
    await b.context.setExtraHTTPHeaders({ 'X-Forwarded-For': ADDRESS[from] });
    await openVeil(b.page, app.app.url);
    return b;
  };
  /** Resolves with the evidence id of the first flagged sample of each of `count` chatters. */
  const flaggedSamples = (count: number): Promise<string[]> =>
    new Promise((resolve) => {
      const seen = new Map<string, string>();
      const moderator = app.app.moderation?.moderator;
      if (!moderator) throw new Error('moderation is off in this app');
      const onSample = (chatterId: string, outcome: SampleOutcome): void => {
        if (outcome.status !== 'classified' || outcome.evidenceId === null || seen.has(chatterId)) return;
        seen.set(chatterId, outcome.evidenceId);
        if (seen.size < count) return;
        moderator.off('sample', onSample);
        resolve([...seen.values()]);
      };
      moderator.on('sample', onSample);
    });
  const consolePage = async (context: BrowserContext, name: keyof typeof consoles): Promise<Page> => {
    const p = await context.newPage();
    await logInToConsole(p, app.app.url, accounts[name]);
    expect(await p.textContent('#console-user')).toBe(`${name} (${name.startsWith('adm.') ? 'admin' : 'moderator'})`);
    consoles[name] = p;
    return p;
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'veil-console-e2e-'));
    const photoY4m = await imageToY4m({ image: PHOTO, output: join(work, 'astronaut.y4m') });
    app = await startTestApp({
      ...MODERATED_APP,
      // A threshold of 0 makes every frame "explicit": a review item (reason nudity) per stream,
      // without a ban and without such images.
      nudityThreshold: 0,
      nudityAction: 'review',
    });
    secret = readFileSync(join(app.dataDir, 'ip-hash.key'), 'utf8').trim();
    const store = new AccountStore({ redis: app.app.redis.redis });
    for (const [name, role] of [
      ['mod.a', 'moderator'],
      ['mod.b', 'moderator'],
      ['adm.x', 'admin'],
    ] as const) {
      accounts[name] = { name, password: PASSWORD, totpSecret: (await store.create({ name, role, password: PASSWORD })).totpSecret };
    }

    // Two chatters in video: each stream's first sample is flagged; then the pattern's chatter
    // reports the photo's, which takes one more sample of the photo.
    photoChat = await openChat('photo', photoY4m);
    const patternChat = await openChat('pattern', photoY4m);
    const firsts = flaggedSamples(2);
    await pairUp(photoChat.page, patternChat.page, { mode: 'video' });
    const firstIds = await firsts;
    const photoHash = hashAddress(ADDRESS.photo, secret);
    for (const id of firstIds) {
      const record = await app.app.evidence.get(id);
      expect(record?.reason).toBe('nudity');
      if (record?.ipHash === photoHash) items.photo = id;
      else items.pattern = id;
    }
    expect(items.photo).not.toBe('');
    expect(items.pattern).not.toBe('');
    const reported = flaggedSamples(1);
    await patternChat.page.click('#report');
    await patternChat.page.selectOption('#report-reason', 'other');
    await patternChat.page.click('#report-confirm');
    [items.report] = (await reported) as [string];
    expect((await app.app.evidence.get(items.report))?.ipHash).toBe(photoHash);
    expect((await app.app.evidence.list({ limit: 10 })).map((r) => r.id).sort()).toEqual(Object.values(items).sort());
  }, 180_000);

  afterAll(async () => {
    await Promise.all(browsers.splice(0).map((b) => b.close()));
    await app?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('flow A: a flagged sample in the queue, concealed until revealed, claimed against a second moderator, banned from the console, the ban lifted by an admin', async () => {
    consoleBrowser = await launchBrowser();
    browsers.push(consoleBrowser);
    const a = await consolePage(consoleBrowser.context, 'mod.a');

    // The queue lists the three items with their reasons.
    for (const id of Object.values(items)) {
      const row = await a.waitForSelector(queueRow(id));
      expect(await row.getAttribute('data-reason')).toBe('nudity');
      expect(await row.textContent()).toContain('Nudity');
    }

    // Opening claims it; the image arrives concealed: blurred and grey, by computed style too.
    await openItem(a, items.photo);
    expect(await a.textContent('#item-title')).toBe('Nudity');
    expect(await a.getAttribute('#item-hash', 'title')).toBe(hashAddress(ADDRESS.photo, secret));
    const concealed = await imageState(a);
    expect(concealed.concealed).toBe(true);
    expect(concealed.filter).toContain('blur');
    expect(concealed.filter).toContain('grayscale');
    // Reveal (button), conceal again (key r), reveal (key r).
    await a.click('#item-reveal');
    expect(await imageState(a)).toEqual({ concealed: false, filter: 'none' });
    await a.keyboard.press('r');
    expect((await imageState(a)).concealed).toBe(true);
    await a.keyboard.press('r');
    expect((await imageState(a)).concealed).toBe(false);

    // Moderator B sees that A holds it, and cannot open it.
    const bContext = await consoleBrowser.browser.newContext();
    const b = await consolePage(bContext, 'mod.b');
    await b.waitForSelector(`${queueRow(items.photo)} .badge[data-badge="claimed"]`);
    await b.click(queueRow(items.photo));
    await b.waitForFunction(() => (document.querySelector('#queue-message')?.textContent ?? '').includes('mod.a is working on this item.'));
    expect(await b.evaluate(() => document.body.dataset.view)).toBe('queue');

    // A bans for 7 days with a reason.
    await banFromConsole(a, '7', 'explicit content on camera');
    const message = await a
      .waitForFunction(() => {
        const text = document.querySelector('#queue-message')?.textContent ?? '';
        return text.includes('Banned until') ? text : null;
      })
      .then((handle) => handle.jsonValue() as Promise<string>);
    await a.waitForSelector('#ban-dialog', { state: 'hidden' });
    const ban = await app.app.bans.get(hashAddress(ADDRESS.photo, secret));
    expect(ban).toMatchObject({ reason: 'moderator', by: 'mod.a', note: 'explicit content on camera', evidenceId: items.photo });
    expect(ban?.referenceId).toMatch(/^VB-[A-Z2-9]{10}$/);
    expect(message).toContain(`reference ${ban?.referenceId}`);
    expect(Math.abs((ban?.expiresAt ?? 0) - (ban?.createdAt ?? 0) - 7 * DAY_MS)).toBeLessThan(60_000);
    expect(await app.app.bans.get(hashAddress(ADDRESS.pattern, secret))).toBeNull();
    // The evidence of a ban is kept 90 days.
    expect((await app.app.evidence.get(items.photo))?.deleteAt).toBeGreaterThan(Date.now() + 89 * DAY_MS);

    // The banned chatter comes back and is turned away with the reference id.
    await photoChat.page.reload();
    await waitForState(photoChat.page, 'error');
    const status = (await photoChat.page.textContent('#status')) ?? '';
    expect(status).toContain(`Reference ${ban?.referenceId}.`);
    expect(status).toMatch(/Reference VB-/);

    // The ban released A's claim and took A back to the queue.
    expect(await app.app.redis.redis.exists(`veil:console:claim:${items.photo}`)).toBe(0);

    // Moderator B sees the ban in the history of the same address hash, and no way to lift it.
    const photoHash = hashAddress(ADDRESS.photo, secret);
    await openItem(b, items.report);
    expect(await b.textContent('#history-bans')).toContain(`(${ban?.referenceId})`);
    expect(await b.isVisible('#lift-ban')).toBe(false);
    await b.click('#item-release');
    await waitForView(b, 'queue');

    // The admin opens the banned item and lifts the ban, confirming in a dialog.
    const admin = await consolePage(await consoleBrowser.browser.newContext(), 'adm.x');
    await openItem(admin, items.photo);
    await admin.waitForSelector('#lift-ban', { state: 'visible' });
    await admin.click('#lift-ban');
    await admin.waitForSelector('#lift-dialog[open]');
    expect(await admin.textContent('#lift-explain')).toContain(`Ban ${ban?.referenceId} ends now`);
    await admin.click('#lift-confirm');
    await waitForItemMessage(admin, `Ban ${ban?.referenceId} lifted.`);
    await admin.waitForSelector('#lift-dialog', { state: 'hidden' });
    await admin.waitForSelector('#lift-ban', { state: 'hidden' });
    expect(await app.app.bans.get(photoHash)).toBeNull();
    // The history keeps the lifted ban.
    expect(await admin.textContent('#history-bans')).toContain(`(${ban?.referenceId})`);
    await admin.click('#item-release');
    await waitForView(admin, 'queue');

    // The chatter comes back and is let in: the server counts it online, the page stays on its landing.
    await openVeil(photoChat.page, app.app.url);
    expect(await photoChat.page.evaluate(() => document.body.dataset.state)).toBe('landing');
  });

  it('flow B: dismiss deletes the evidence, escalation needs a second moderator and exports the package, the admin reads the audit log', async () => {
    const a = page('mod.a');
    const b = page('mod.b');

    // Dismiss: the ciphertext and the record are gone.
    const file = join(app.dataDir, 'evidence', `${items.pattern}.bin`);
    expect(existsSync(file)).toBe(true);
    await openItem(a, items.pattern);
    await a.click('#item-dismiss');
    await a.waitForSelector('#dismiss-dialog[open]');
    await a.click('#dismiss-confirm');
    await waitForView(a, 'queue');
    await a.waitForFunction(() => (document.querySelector('#queue-message')?.textContent ?? '').includes('Item dismissed'));
    await a.waitForSelector(queueRow(items.report));
    expect(await a.$(queueRow(items.pattern))).toBeNull();
    expect(existsSync(file)).toBe(false);
    expect(await app.app.evidence.get(items.pattern)).toBeNull();

    // Escalation: A asks ...
    await openItem(a, items.report);
    await a.click('#item-escalate');
    await a.waitForSelector('#escalate-dialog[open]');
    await a.fill('#escalate-note', 'looks like it must be reported');
    await a.click('#escalate-confirm');
    await waitForView(a, 'queue');
    await a.waitForFunction(() => (document.querySelector('#queue-message')?.textContent ?? '').includes('a second moderator must confirm'));
    // ... and cannot confirm it alone, even after taking the item again.
    await openItem(a, items.report);
    await a.click('#item-escalate');
    await a.waitForSelector('#escalate-dialog[open]');
    await a.click('#escalate-confirm');
    await waitForItemMessage(a, 'A different moderator must review the item and confirm it.');
    expect(await a.getAttribute('#item-message', 'data-tone')).toBe('error');
    expect((await app.app.evidence.get(items.report))?.legalHold).toBeUndefined();
    expect(await a.isVisible('#item-export')).toBe(false);
    await a.click('#item-release');
    await waitForView(a, 'queue');

    // B sees the pending escalation, opens the item and confirms.
    await refreshQueue(b);
    await b.waitForSelector(`${queueRow(items.report)} .badge[data-badge="escalation-pending"]`);
    await openItem(b, items.report);
    expect(await b.textContent('#item-escalate-label')).toBe('Confirm escalation');
    await b.click('#item-escalate');
    await b.waitForSelector('#escalate-dialog[open]');
    expect(await b.textContent('#escalate-title')).toBe('Confirm the escalation');
    await b.fill('#escalate-note', 'agreed');
    await b.click('#escalate-confirm');
    await waitForItemMessage(b, 'Escalation confirmed');
    await b.waitForSelector('#item-export', { state: 'visible' });
    const held = await app.app.evidence.get(items.report);
    expect(held?.legalHold?.until).toBeGreaterThan(Date.now() + 364 * DAY_MS);
    expect(held?.legalHold?.basis).toContain('mod.a');
    expect(held?.legalHold?.basis).toContain('mod.b');

    // The incident package downloads as JSON with the JPEG inside.
    const [download] = await Promise.all([b.waitForEvent('download'), b.click('#item-export')]);
    const downloaded = await download.path();
    const pkg = JSON.parse(readFileSync(downloaded, 'utf8')) as {
      format: string;
      incident: { evidenceId: string; reason: string; ipHash: string; escalation: { requestedBy: string; confirmedBy: string } };
      image: { contentType: string; base64: string };
    };
    expect(pkg).toMatchObject({
      format: 'veil-incident-1',
      incident: {
        evidenceId: items.report,
        reason: 'nudity',
        ipHash: hashAddress(ADDRESS.photo, secret),
        escalation: { requestedBy: 'mod.a', confirmedBy: 'mod.b' },
      },
      image: { contentType: 'image/jpeg' },
    });
    const jpeg = Buffer.from(pkg.image.base64, 'base64');
    expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(await sharp(jpeg).metadata()).toMatchObject({ format: 'jpeg' });
    // Under legal hold, the item cannot be dismissed.
    await b.click('#item-dismiss');
    await b.click('#dismiss-confirm');
    await waitForItemMessage(b, 'under legal hold and cannot be dismissed');
    expect(existsSync(join(app.dataDir, 'evidence', `${items.report}.bin`))).toBe(true);
    await b.click('#item-release');
    await waitForView(b, 'queue');

    // A moderator has no audit view: no navigation, and the API refuses.
    expect(await a.isVisible('#nav-audit')).toBe(false);
    const refused = await a.evaluate(async () => {
      const response = await fetch('/console/api/audit');
      return { status: response.status, body: (await response.json()) as unknown };
    });
    expect(refused).toEqual({ status: 403, body: { error: { code: 'forbidden', message: expect.any(String) } } });

    // The admin (signed in since flow A) reads who did what.
    const admin = page('adm.x');
    await admin.click('#nav-audit');
    await waitForView(admin, 'audit');
    await admin.waitForSelector('#audit .audit-entry[data-action="escalate_confirm"]');
    const rows = await auditRows(admin);
    const has = (action: string, actor: string, target?: string): boolean =>
      rows.some((row) => row.action === action && row.actor === actor && (target === undefined || row.target === target));
    const expected: [string, string, string?][] = [
      ['login', 'mod.a'],
      ['login', 'mod.b'],
      ['login', 'adm.x'],
      ['claim', 'mod.a', items.photo],
      ['view', 'mod.a', items.photo],
      ['image', 'mod.a', items.photo],
      ['reveal', 'mod.a', items.photo],
      ['ban', 'mod.a', items.photo],
      ['claim', 'adm.x', items.photo],
      ['ban_lift', 'adm.x', hashAddress(ADDRESS.photo, secret)],
      ['claim', 'mod.a', items.pattern],
      ['dismiss', 'mod.a', items.pattern],
      ['escalate_request', 'mod.a', items.report],
      ['claim', 'mod.b', items.report],
      ['view', 'mod.b', items.report],
      ['escalate_confirm', 'mod.b', items.report],
      ['audit_read', 'adm.x'],
    ];
    for (const [action, actor, target] of expected) expect(has(action, actor, target), `${action} by ${actor} on ${target ?? '-'}`).toBe(true);
    // B's refused claim on A's item is not an action on it; the moderator's refused audit read left no entry either.
    expect(has('claim', 'mod.b', items.photo)).toBe(false);
    expect(has('audit_read', 'mod.a')).toBe(false);
  });

  it('a text-chat report, with no frame to sample, is a review item too: no image, and a ban reaches the reported address', async () => {
    const texter = await openChat('texter', '');
    const reporter = await openChat('reporter', '');
    await pairUp(texter.page, reporter.page, { mode: 'text' });
    await reporter.page.click('#report');
    await reporter.page.selectOption('#report-reason', 'harassment');
    await reporter.page.click('#report-confirm');
    await waitForState(reporter.page, 'idle');
    const [report] = await app.app.reports.listByHash(hashAddress(ADDRESS.texter, secret));
    expect(report?.mode).toBe('text');

    const b = page('mod.b');
    await waitForView(b, 'queue');
    await refreshQueue(b);
    const row = await b.waitForSelector(`${queueRow(report?.referenceId ?? '')}[data-reason="user_report"] .badge[data-badge="no-image"]`);
    expect(await row.textContent()).toBe('Report only, no image');
    await b.click(queueRow(report?.referenceId ?? ''));
    await waitForView(b, 'item');
    await b.waitForFunction(() => (document.querySelector('#item-image-status')?.textContent ?? '').includes('there is no image'));
    expect(await b.isDisabled('#item-escalate')).toBe(true);
    await banFromConsole(b, '7', 'harassment in text chat');
    expect(await app.app.bans.get(hashAddress(ADDRESS.texter, secret))).toMatchObject({ by: 'mod.b', evidenceId: null });
    expect(await app.app.bans.get(hashAddress(ADDRESS.reporter, secret))).toBeNull();
    await b.waitForSelector(queueRow(report?.referenceId ?? ''), { state: 'detached' });
  });
});
