import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import type { LaunchedBrowser } from '../support/chromium.js';
import { blockAll, unblock } from '../support/firewall.js';
import { openOnHosts } from '../support/host-browsers.js';
import { createTestNetwork, type TestNetwork } from '../support/netns.js';
import { pairUp, sendChat, waitForPartnerMedia, waitForPartnerMessage, waitForState, type VeilPage } from '../support/veil-page.js';

const GRACE_MS = 10_000;

/** Remembers every text the page's status line shows from now on. */
async function recordStatuses(page: VeilPage): Promise<void> {
  await page.evaluate(() => {
    const status = document.querySelector('#status');
    const seen: string[] = [];
    (window as unknown as { __statuses: string[] }).__statuses = seen;
    if (!status) throw new Error('the page has no #status');
    new MutationObserver(() => seen.push(status.textContent ?? '')).observe(status, { childList: true, characterData: true, subtree: true });
  });
}

async function statuses(page: VeilPage): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __statuses?: string[] }).__statuses ?? []);
}

/**
 * A browser's network goes away (nftables drops everything in its namespace) mid video chat. Back
 * within the grace, it resumes the same chatter and the same partner: video and text flow again,
 * and its partner saw "Stranger is reconnecting…" meanwhile. Gone for longer, its partner is told
 * the chat ended and can press Next.
 */
describe('a browser whose network drops for a few seconds', () => {
  let net: TestNetwork;
  let server: TestApp;
  const browsers: LaunchedBrowser[] = [];

  beforeAll(async () => {
    net = await createTestNetwork({ hosts: 2 });
    server = await startTestApp({
      httpHost: net.serverAddress,
      allowInsecurePublicBind: true,
      rtcListenIp: net.serverAddress,
      mediasoupWorkers: 1,
      resumeGraceMs: GRACE_MS,
      matchRecentPartnerSeconds: 0,
    });
  });
  afterEach(async () => {
    for (const host of net.hosts) await unblock(host.name).catch(() => undefined);
    await Promise.all(browsers.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await server?.close();
    await net?.close();
  });

  const pairOnTwoHosts = async (): Promise<[VeilPage, VeilPage]> => {
    const [dropped, partner] = await openOnHosts(net.hosts, server.app.url, browsers);
    if (!dropped || !partner) throw new Error('two browsers');
    await pairUp(dropped, partner, { mode: 'video' });
    for (const page of [dropped, partner]) await waitForPartnerMedia(page, 10);
    await recordStatuses(partner);
    await recordStatuses(dropped);
    return [dropped, partner];
  };

  it('back after 5 s: the same partner, video and text both ways again; the partner saw it reconnecting', async () => {
    const [dropped, partner] = await pairOnTwoHosts();
    const host = net.hosts[0];
    if (!host) throw new Error('no host');
    const blockedAt = Date.now();
    await blockAll(host.name);
    await partner.waitForFunction(() => document.querySelector('#status')?.textContent === 'Stranger is reconnecting…', null, { timeout: 8000 });
    // The page hears nothing from the server (client/src/liveness.ts), so it knows while the network is still gone.
    await dropped.waitForFunction(() => document.querySelector('#status')?.textContent === 'Reconnecting…', null, { timeout: 4500 });
    expect(Date.now() - blockedAt).toBeLessThan(5000);
    // The outage itself lasts 5 s: that is the scenario, not a wait for something to happen.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 5000 - (Date.now() - blockedAt))));
    await unblock(host.name);

    const before = await waitForPartnerMedia(partner, 0);
    await waitForPartnerMedia(partner, before.videoFramesDecoded + 15, 20_000);
    const mine = await waitForPartnerMedia(dropped, 0);
    await waitForPartnerMedia(dropped, mine.videoFramesDecoded + 15, 20_000);
    await sendChat(dropped, 'I am back');
    // Typed before the page had noticed its connection was dead: sent again once resumed, not lost.
    await waitForPartnerMessage(partner, 'I am back');
    await sendChat(partner, 'welcome back');
    await waitForPartnerMessage(dropped, 'welcome back');
    for (const page of [dropped, partner]) expect(await page.evaluate(() => document.body.dataset.state)).toBe('paired');
    expect(await statuses(partner)).toContain('Stranger is reconnecting…');
    expect(await statuses(partner)).not.toContain('Stranger disconnected.');
    expect(await statuses(dropped)).toContain('Reconnecting…');
  });

  it('a page whose main thread is stuck for 6 s keeps its chat: a late liveness check judges nothing', async () => {
    const [busy, partner] = await pairOnTwoHosts();
    await busy.evaluate(() => {
      const until = performance.now() + 6000;
      while (performance.now() < until);
    });
    // A second of video after the stall spans the liveness checks that would give the socket up.
    const after = await waitForPartnerMedia(busy, 0);
    await waitForPartnerMedia(busy, after.videoFramesDecoded + 20, 10_000);
    await sendChat(busy, 'still here');
    await waitForPartnerMessage(partner, 'still here');
    await sendChat(partner, 'good');
    await waitForPartnerMessage(busy, 'good');
    expect(await statuses(busy)).not.toContain('Reconnecting…');
    expect(await statuses(partner)).not.toContain('Stranger is reconnecting…');
  });

  it('gone for longer than the grace: the partner is told the chat ended, and can press Next', async () => {
    const [, partner] = await pairOnTwoHosts();
    const host = net.hosts[0];
    if (!host) throw new Error('no host');
    await blockAll(host.name);
    await partner.waitForFunction(() => document.querySelector('#status')?.textContent === 'Stranger is reconnecting…', null, { timeout: 8000 });
    await waitForState(partner, 'partner-left', GRACE_MS + 10_000);
    expect(await partner.evaluate(() => document.querySelector<HTMLButtonElement>('#next')?.disabled)).toBe(false);
  });
});
