import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashAddress } from '../../src/edge/client-address.js';
import type { EvidenceReason } from '../../src/evidence/types.js';
import { startTestApp, type TestApp } from '../support/app.js';
import type { Page } from 'playwright-core';
import { launchBrowser, type LaunchedBrowser } from '../support/chromium.js';

const VISITOR = '203.0.113.50';
const SOMEONE_ELSE = '198.51.100.23';

/** Waits until the page has its answer; fails at once with the page's own message if it has none. */
async function waitForHoldings(page: Page): Promise<void> {
  await page.waitForSelector('#holdings:not([aria-busy])');
  if (await page.isVisible('#holdings-status')) throw new Error(`the page shows no holdings: ${await page.textContent('#holdings-status')}`);
}

describe('the My data page in a real browser', () => {
  let server: TestApp;
  let browser: LaunchedBrowser | undefined;
  let jpeg: Buffer;

  beforeAll(async () => {
    jpeg = await sharp({ create: { width: 32, height: 24, channels: 3, background: { r: 120, g: 40, b: 40 } } })
      .jpeg()
      .toBuffer();
    server = await startTestApp({ mediasoupWorkers: 1, trustedProxies: ['127.0.0.1'] });
  });
  afterEach(async () => {
    await browser?.close();
    browser = undefined;
  });
  afterAll(async () => {
    await server?.close();
  });

  const secret = (): string => readFileSync(join(server.dataDir, 'ip-hash.key'), 'utf8').trim();
  const put = (address: string, reason: EvidenceReason) =>
    server.app.evidence.put({
      jpeg,
      ipHash: hashAddress(address, secret()),
      device: { browser: 'Chrome 140', os: 'Linux', language: 'en-US' },
      reason,
      scores: { nudity: 0.9 },
      modelVersions: { nsfw: 'test' },
      sessionRef: 'session-e2e',
      capturedAt: Date.now() - 60_000,
    });
  const fileOf = (id: string): string => join(server.dataDir, 'evidence', `${id}.bin`);

  it('shows this connection’s evidence, deletes what may go, keeps legal-hold evidence and says why', async () => {
    const flagged = await put(VISITOR, 'nudity');
    const held = await put(VISITOR, 'csam_hash_match');
    const notMine = await put(SOMEONE_ELSE, 'nudity');

    browser = await launchBrowser({ secureOrigins: [server.app.url] });
    await browser.context.setExtraHTTPHeaders({ 'X-Forwarded-For': VISITOR });
    const { page } = browser;
    await page.goto(`${server.app.url}/my-data`);

    await waitForHoldings(page);
    expect(await page.locator('#holdings-evidence .holding').count()).toBe(2);
    const listed = await page.textContent('#holdings-evidence');
    expect(listed).toContain('nudity');
    expect(listed).toContain('preserved under legal hold for law enforcement');
    expect(listed).toMatch(/deleted by \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(await page.locator('#holdings-bans .holding').count()).toBe(0);
    expect(await page.locator('#holdings-reports .holding').count()).toBe(0);
    expect(await page.isVisible('#holdings-empty')).toBe(false);

    await page.click('#erase');
    await page.waitForSelector('#erase-confirm', { state: 'visible' });
    expect(await page.textContent('#erase-dialog')).toMatch(/legal hold/);
    await page.click('#erase-confirm');

    await page.waitForSelector('#erase-result:has-text("Deleted 1 evidence item")');
    expect(await page.textContent('#erase-result')).toContain('Kept');
    await page.waitForFunction(() => document.querySelectorAll('#holdings-evidence .holding').length === 1);
    expect(await page.textContent('#holdings-evidence')).toContain('legal hold');

    expect(existsSync(fileOf(flagged.id))).toBe(false);
    expect(await server.app.evidence.get(flagged.id)).toBeNull();
    expect(existsSync(fileOf(held.id))).toBe(true);
    expect(existsSync(fileOf(notMine.id))).toBe(true);
  });

  it('says plainly when nothing is held', async () => {
    browser = await launchBrowser({ secureOrigins: [server.app.url] });
    await browser.context.setExtraHTTPHeaders({ 'X-Forwarded-For': '192.0.2.77' });
    await browser.page.goto(`${server.app.url}/my-data`);
    await waitForHoldings(browser.page);
    expect(await browser.page.isVisible('#holdings-empty')).toBe(true);
    expect(await browser.page.locator('.holding').count()).toBe(0);
  });
});
