import { expect } from 'vitest';

/**
 * Drives the Veil client in a page through the element ids it guarantees (client/index.html), in
 * any browser engine: the helpers need only this much of a page. A playwright Page (Chromium,
 * ./chromium.ts) is one as it is; ./firefox.ts gives Firefox's puppeteer page the same methods.
 * Functions passed to evaluate and waitForFunction run in the page: they see only their argument.
 */
export interface VeilPage {
  goto(url: string): Promise<unknown>;
  evaluate<R>(pageFunction: () => R | Promise<R>): Promise<R>;
  evaluate<R, Arg>(pageFunction: (arg: Arg) => R | Promise<R>, arg: Arg): Promise<R>;
  /** Resolves once the function returns something truthy in the page. */
  waitForFunction(pageFunction: () => unknown): Promise<unknown>;
  waitForFunction<Arg>(pageFunction: (arg: Arg) => unknown, arg: Arg, options?: { timeout?: number }): Promise<unknown>;
  /** The element actions wait for the element to be there and usable, as a user would. */
  click(selector: string): Promise<void>;
  fill(selector: string, value: string): Promise<void>;
  press(selector: string, key: 'Enter'): Promise<void>;
  check(selector: string): Promise<void>;
  selectOption(selector: string, values: string[]): Promise<unknown>;
  textContent(selector: string): Promise<string | null>;
}

export type PageState = 'landing' | 'starting' | 'waiting' | 'paired' | 'partner-left' | 'idle' | 'error' | 'reconnecting';

export async function openVeil(page: VeilPage, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => /^\d+$/.test(document.querySelector('#online-count')?.textContent?.trim() ?? ''));
}

export async function enterChat(page: VeilPage, options: { mode: 'video' | 'text'; interests?: string[]; countries?: string[] }): Promise<void> {
  for (const tag of options.interests ?? []) {
    await page.fill('#interest-input', tag);
    await page.press('#interest-input', 'Enter');
  }
  if (options.countries && options.countries.length > 0) await page.selectOption('#country-filter', options.countries);
  await page.check('#age-confirm');
  await page.click(options.mode === 'video' ? '#start-video' : '#start-text');
}

export async function waitForState(page: VeilPage, state: PageState, timeout = 45_000): Promise<void> {
  await page.waitForFunction((s) => document.body.dataset.state === s, state, { timeout });
}

interface RtpCounters {
  videoFramesDecoded: number;
  audioPacketsReceived: number;
}

/** Inbound RTP counters of the receive transport, from the client's test hook. */
export async function inboundCounters(page: VeilPage): Promise<RtpCounters> {
  return page.evaluate(async () => {
    const hook = (window as unknown as { __veilTest?: { recvStats(): Promise<Record<string, unknown>[]> } }).__veilTest;
    const stats = (await hook?.recvStats()) ?? [];
    let videoFramesDecoded = 0;
    let audioPacketsReceived = 0;
    for (const s of stats) {
      if (s['type'] !== 'inbound-rtp') continue;
      if (s['kind'] === 'video') videoFramesDecoded += Number(s['framesDecoded'] ?? 0);
      if (s['kind'] === 'audio') audioPacketsReceived += Number(s['packetsReceived'] ?? 0);
    }
    return { videoFramesDecoded, audioPacketsReceived };
  });
}

/** The partner's audio packets a second, timed over the next `count` of them to arrive. */
export async function audioPacketsPerSecond(page: VeilPage, count: number, timeout = 30_000): Promise<number> {
  const start = (await inboundCounters(page)).audioPacketsReceived;
  const startedAt = Date.now();
  let end = start;
  await expect
    .poll(
      async () => {
        end = (await inboundCounters(page)).audioPacketsReceived;
        return end - start;
      },
      { timeout, interval: 100, message: `${count} more audio packets from the partner` },
    )
    .toBeGreaterThanOrEqual(count);
  return ((end - start) * 1000) / (Date.now() - startedAt);
}

/** Polls the stats until the partner's video has decoded more than `above` frames and audio packets arrive. */
export async function waitForPartnerMedia(page: VeilPage, above = 0, timeout = 45_000): Promise<RtpCounters> {
  let last: RtpCounters = { videoFramesDecoded: 0, audioPacketsReceived: 0 };
  await expect
    .poll(
      async () => {
        last = await inboundCounters(page);
        return last.videoFramesDecoded > above && last.audioPacketsReceived > 0;
      },
      { timeout, interval: 200, message: `partner media (more than ${above} frames decoded, audio packets)` },
    )
    .toBe(true);
  return last;
}

export async function sendChat(page: VeilPage, text: string): Promise<void> {
  await page.fill('#chat-input', text);
  await page.click('#send');
}

export async function waitForPartnerMessage(page: VeilPage, text: string): Promise<void> {
  await page.waitForFunction((t) => Array.from(document.querySelectorAll('#messages .msg.partner')).some((el) => el.textContent?.includes(t)), text);
}

/** The first page starts and waits, the second starts; resolves when both are paired. */
export async function pairUp(
  first: VeilPage,
  second: VeilPage,
  options: { mode: 'video' | 'text'; interests?: string[]; countries?: string[] },
): Promise<void> {
  await enterChat(first, options);
  await waitForState(first, 'waiting');
  await enterChat(second, options);
  await Promise.all([waitForState(first, 'paired'), waitForState(second, 'paired')]);
}
