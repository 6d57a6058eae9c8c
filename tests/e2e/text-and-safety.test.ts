import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, type LaunchedBrowser } from '../support/chromium.js';
import { enterChat, openVeil, pairUp, sendChat, waitForPartnerMessage, waitForState } from '../support/veil-page.js';

/** Counts getUserMedia calls, and optionally makes them fail as a browser without camera would. */
const cameraScript = (failWith: string | null): string => `(() => {
  window.__gumCalls = 0;
  const md = navigator.mediaDevices;
  if (!md) return;
  const real = md.getUserMedia.bind(md);
  md.getUserMedia = (constraints) => {
    window.__gumCalls++;
    ${failWith ? `return Promise.reject(new DOMException('test', '${failWith}'));` : 'return real(constraints);'}
  };
})();`;

describe('text chat, interests, country filter and report in real browsers', () => {
  let server: TestApp;
  const browsers: LaunchedBrowser[] = [];
  const open = async (options: { camera?: string | null; forwardedFor?: string } = {}): Promise<LaunchedBrowser> => {
    const b = await launchBrowser({ secureOrigins: [server.app.url] });
    browsers.push(b);
    await b.context.addInitScript(cameraScript(options.camera ?? null));
    if (options.forwardedFor) await b.context.setExtraHTTPHeaders({ 'X-Forwarded-For': options.forwardedFor });
    await openVeil(b.page, server.app.url);
    return b;
  };

  beforeAll(async () => {
    server = await startTestApp({ mediasoupWorkers: 1, trustedProxies: ['127.0.0.1'], matchInterestFallbackMs: 60_000 });
  });
  afterEach(async () => {
    await Promise.all(browsers.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('Text only works without a camera and never asks for one', async () => {
    const one = await open({ camera: 'NotFoundError' });
    const two = await open({ camera: 'NotFoundError' });
    await pairUp(one.page, two.page, { mode: 'text' });
    await sendChat(one.page, 'typing only today');
    await waitForPartnerMessage(two.page, 'typing only today');
    await sendChat(two.page, 'same here, no camera');
    await waitForPartnerMessage(one.page, 'same here, no camera');
    for (const b of [one, two]) expect(await b.page.evaluate(() => (window as unknown as { __gumCalls: number }).__gumCalls)).toBe(0);
  });

  it('a denied camera gets a clear message and a way into Text only', async () => {
    const b = await open({ camera: 'NotAllowedError' });
    await enterChat(b.page, { mode: 'video' });
    await b.page.waitForSelector('#media-error', { state: 'visible' });
    expect(await b.page.textContent('#media-error')).toMatch(/camera/i);
    await b.page.click('#use-text-only');
    await waitForState(b.page, 'waiting');
  });

  it('interests pick the partner who shares one, and both see it', async () => {
    const chess = await open();
    const football = await open();
    const alsoChess = await open();
    await enterChat(chess.page, { mode: 'text', interests: ['chess'] });
    await waitForState(chess.page, 'waiting');
    await enterChat(football.page, { mode: 'text', interests: ['football'] });
    await waitForState(football.page, 'waiting');
    await enterChat(alsoChess.page, { mode: 'text', interests: ['Chess', 'jazz'] });
    await Promise.all([waitForState(chess.page, 'paired'), waitForState(alsoChess.page, 'paired')]);
    expect(await chess.page.textContent('#shared-interests')).toContain('chess');
    expect(await alsoChess.page.textContent('#shared-interests')).toContain('chess');
    expect(await football.page.evaluate(() => document.body.dataset.state)).toBe('waiting');
  });

  it('the country filter picks a partner from the chosen country and shows it only to the one who filters', async () => {
    const fromUs = await open({ forwardedFor: '8.8.8.8' });
    const wantsGb = await open({ forwardedFor: '8.8.8.8' });
    const fromGb = await open({ forwardedFor: '81.2.69.142' });
    await enterChat(wantsGb.page, { mode: 'text', countries: ['GB'] });
    await waitForState(wantsGb.page, 'waiting');
    await enterChat(fromUs.page, { mode: 'text' });
    await waitForState(fromUs.page, 'waiting');
    await enterChat(fromGb.page, { mode: 'text' });
    await Promise.all([waitForState(wantsGb.page, 'paired'), waitForState(fromGb.page, 'paired')]);
    expect(await wantsGb.page.textContent('#partner-country')).toMatch(/United Kingdom|GB/);
    expect((await fromGb.page.textContent('#partner-country'))?.trim() ?? '').toBe('');
    expect(await fromUs.page.evaluate(() => document.body.dataset.state)).toBe('waiting');
  });

  it('Report disconnects the reporter and tells the partner the chat ended', async () => {
    const one = await open();
    const two = await open();
    await pairUp(one.page, two.page, { mode: 'text' });
    await one.page.click('#report');
    await one.page.selectOption('#report-reason', 'harassment');
    await one.page.click('#report-confirm');
    await waitForState(one.page, 'idle');
    await waitForState(two.page, 'partner-left');
    expect(await server.app.redis.redis.zcard('veil:reports:by-deadline')).toBeGreaterThan(0);
  });

  it('fits a phone-sized screen without horizontal scrolling', async () => {
    const b = await open();
    await b.page.setViewportSize({ width: 390, height: 844 });
    const overflow = await b.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await enterChat(b.page, { mode: 'text' });
    await waitForState(b.page, 'waiting');
    for (const id of ['#next', '#chat-input', '#send']) {
      const box = await b.page.locator(id).boundingBox();
      expect(box, id).not.toBeNull();
      expect(box!.x + box!.width, id).toBeLessThanOrEqual(390);
    }
  });

  it('a message refused for coming too fast goes back into the box instead of being lost', async () => {
    const fast = await open();
    const partner = await open();
    await pairUp(fast.page, partner.page, { mode: 'text' });
    // More than the server relays in a burst (6 per 5 s), fewer than it treats as flooding; all
    // submitted in one task, so no answer can come back between them.
    await fast.page.evaluate(() => {
      const input = document.querySelector('#chat-input') as HTMLInputElement;
      const form = document.querySelector('#chat-form') as HTMLFormElement;
      for (let i = 0; i < 10; i++) {
        input.value = `burst ${i}`;
        form.requestSubmit();
      }
    });
    await fast.page.waitForFunction(() => (document.querySelector('#chat-input') as HTMLInputElement).value !== '');
    const kept = await fast.page.inputValue('#chat-input');
    expect(kept).toMatch(/^burst \d$/);
    await waitForPartnerMessage(partner.page, 'burst 0');
    const relayed = await partner.page.$$eval('#messages .msg.partner', (els) => els.map((el) => el.textContent ?? ''));
    expect(relayed).not.toContain(kept);
  });

  it('on a phone a long conversation scrolls inside the log: the newest message, Next and the message box stay on screen', async () => {
    const phone = await open();
    await phone.page.setViewportSize({ width: 390, height: 844 });
    const partner = await open();
    await pairUp(phone.page, partner.page, { mode: 'text' });
    // Four long messages (under the rate limit) are several screens of text on a phone.
    for (let i = 0; i < 4; i++) {
      const text = `message ${i} ` + 'a few words that wrap on a small screen '.repeat(12);
      await sendChat(partner.page, text);
      await waitForPartnerMessage(phone.page, `message ${i} `);
    }
    const layout = await phone.page.evaluate(() => {
      const bottom = (selector: string): number => document.querySelector(selector)!.getBoundingClientRect().bottom;
      const messages = document.querySelectorAll('#messages .msg.partner');
      // The page itself does not scroll: only the log does.
      window.scrollTo(0, 10_000);
      return {
        pageScrolled: window.scrollY,
        screen: window.innerHeight,
        next: bottom('#next'),
        input: bottom('#chat-input'),
        newest: messages[messages.length - 1]!.getBoundingClientRect().bottom,
        log: bottom('#messages'),
      };
    });
    expect(layout.pageScrolled).toBe(0);
    expect(layout.next).toBeLessThanOrEqual(layout.screen);
    expect(layout.input).toBeLessThanOrEqual(layout.screen);
    expect(layout.newest).toBeLessThanOrEqual(layout.log + 1);
  });
});
