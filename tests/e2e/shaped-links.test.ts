import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import type { LaunchedBrowser } from '../support/chromium.js';
import { openOnHosts } from '../support/host-browsers.js';
import { clearLink, inboundVideo, shapeLink, type InboundVideo } from '../support/link-shape.js';
import { createTestNetwork, type TestHost, type TestNetwork } from '../support/netns.js';
import { pairUp, waitForPartnerMedia, type VeilPage } from '../support/veil-page.js';

/**
 * A receiver whose downlink narrows to 300 kbit/s with 2 % loss (tc tbf on its veth, nftables
 * random drops) keeps decoding the partner's video at a lower simulcast layer, at the partner's
 * frame rate (simulcastPrefer 'framerate'), and gets the top layer back when the link is restored. The same link with simulcast off, in the same run, freezes:
 * the sender keeps sending what its own (clean) link carries and the receiver's link drops it. A
 * sender whose uplink narrows sends fewer layers rather than a frozen one.
 */
const SHAPE = { rateKbit: 300, lossPercent: 2 };
const MEASURE_S = 12;

interface Window {
  /** Frames decoded in each second of the window. */
  perSecond: number[];
  freezes: number;
  widths: number[];
}

/** Samples the receiver's inbound video once a second for `seconds`, waiting on the stats (not sleeping blindly). */
async function measure(page: VeilPage, seconds: number): Promise<Window> {
  const samples: InboundVideo[] = [await inboundVideo(page)];
  const started = Date.now();
  for (let i = 1; i <= seconds; i++) {
    await expect.poll(() => Date.now() - started >= i * 1000, { timeout: 5000, interval: 50 }).toBe(true);
    samples.push(await inboundVideo(page));
  }
  const first = samples[0] as InboundVideo;
  const last = samples[samples.length - 1] as InboundVideo;
  return {
    perSecond: samples.slice(1).map((s, i) => s.framesDecoded - (samples[i] as InboundVideo).framesDecoded),
    freezes: last.freezeCount - first.freezeCount,
    widths: samples.slice(1).map((s) => s.frameWidth),
  };
}

/** Runs a poll; if it fails, its error also lists what was seen on the way (every 0.5 s). */
async function naming(seen: readonly unknown[], poll: () => Promise<unknown>): Promise<void> {
  try {
    await poll();
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; seen: ${seen.join(' ')}`, { cause: error });
  }
}

async function waitForWidth(page: VeilPage, accept: (width: number) => boolean, what: string, timeout: number): Promise<number> {
  const seen: number[] = [];
  await naming(seen, () =>
    expect
      .poll(
        async () => {
          seen.push((await inboundVideo(page)).frameWidth);
          return accept(seen[seen.length - 1] ?? 0);
        },
        { timeout, interval: 500, message: what },
      )
      .toBe(true),
  );
  return seen[seen.length - 1] ?? 0;
}

/**
 * The width of the sender's top layer once the receiver decodes it, steady for three samples. Chrome
 * enables its layers one by one as its send estimate ramps up (slower on a loaded machine), so the
 * first 640 px seen may be the middle layer with the top one still to come: shaping then would test
 * nothing, since the middle layer may fit the narrow link.
 */
async function waitForTopLayer(receiver: VeilPage, sender: VeilPage): Promise<number> {
  let steady = 0;
  let width = 0;
  const seen: string[] = [];
  await naming(seen, () =>
    expect
      .poll(
        async () => {
          const sent = await sentLayers(sender);
          width = (await inboundVideo(receiver)).frameWidth;
          seen.push(`${width}/${sent.join('+')}`);
          steady = sent.length >= 2 && width === Math.max(...sent) ? steady + 1 : 0;
          return steady >= 3;
        },
        { timeout: 120_000, interval: 500, message: "the receiver steady at the sender's top layer (received/sent widths)" },
      )
      .toBe(true),
  );
  return width;
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** Widths of the sender's video encodings that are sending frames now (outbound-rtp framesPerSecond > 0). */
async function sentLayers(page: VeilPage): Promise<number[]> {
  return page.evaluate(async () => {
    const hook = (window as unknown as { __veilTest?: { sendStats(): Promise<Record<string, unknown>[]> } }).__veilTest;
    return ((await hook?.sendStats()) ?? [])
      .filter((s) => s['type'] === 'outbound-rtp' && s['kind'] === 'video' && Number(s['framesPerSecond'] ?? 0) > 0)
      .map((s) => Number(s['frameWidth'] ?? 0));
  });
}

describe('a narrow, lossy downlink', () => {
  let net: TestNetwork;
  let server: TestApp | undefined;
  let browsers: LaunchedBrowser[] = [];
  const shaped: Record<'on' | 'off', Window | undefined> = { on: undefined, off: undefined };

  beforeAll(async () => {
    net = await createTestNetwork({ hosts: 2 });
  });
  // Also after a failed test, so the next one starts with no browser or server of its own left over.
  afterEach(closeAll);
  afterAll(async () => {
    await closeAll();
    await net?.close();
  });

  async function closeAll(): Promise<void> {
    await Promise.all(browsers.map((b) => b.close()));
    browsers = [];
    await server?.close();
    server = undefined;
    for (const host of net?.hosts ?? []) await clearLink(host);
  }

  /** A server (simulcast on or off), two browsers paired by video; each one's page and host. */
  async function pair(simulcast: boolean): Promise<{ receiver: VeilPage; host: TestHost; sender: VeilPage; senderHost: TestHost }> {
    server = await startTestApp({ httpHost: net.serverAddress, allowInsecurePublicBind: true, rtcListenIp: net.serverAddress, mediasoupWorkers: 1, simulcast });
    const [receiver, sender] = await openOnHosts(net.hosts, server.app.url, browsers);
    const [host, senderHost] = net.hosts;
    if (!receiver || !sender || !host || !senderHost) throw new Error('two browsers on two hosts');
    await pairUp(receiver, sender, { mode: 'video' });
    const first = await waitForPartnerMedia(receiver, 0, 90_000);
    await waitForPartnerMedia(receiver, first.videoFramesDecoded + 20, 90_000);
    return { receiver, host, sender, senderHost };
  }

  // Retried once: after the switch the receiver sometimes stalls for most of the window, even at
  // the lowest layer (about one run in five under the full suite's load; docs/simulcast.md, "Known").
  it('with simulcast: keeps decoding at a lower layer, and the top layer comes back', { retry: 1 }, async () => {
    await closeAll();
    const { receiver, host, sender } = await pair(true);
    // The sender ramps up to its top layer (1280 wide unless its CPU makes Chrome scale down).
    const clean = await waitForTopLayer(receiver, sender);

    await shapeLink(host, SHAPE);
    const low = await waitForWidth(receiver, (w) => w > 0 && w < clean, `a lower layer than ${clean} px at 300 kbit/s`, 90_000);
    await expect
      .poll(() => receiver.textContent('#partner-quality'), { timeout: 30_000, message: 'the page says the video is at lower quality' })
      .toMatch(/lower quality/);
    // The switch itself waits for a keyframe of the lower layer, which the lossy link may delay (a CI
    // run saw 8 s of it); the claim is about decoding at that layer once it is there.
    const switched = (await inboundVideo(receiver)).framesDecoded;
    await expect
      .poll(async () => (await inboundVideo(receiver)).framesDecoded, { timeout: 30_000, interval: 250, message: 'decoding at the lower layer' })
      .toBeGreaterThan(switched + 5);
    const window = await measure(receiver, MEASURE_S);
    shaped.on = window;
    console.log(`simulcast on, shaped: ${clean} px clean, ${low} px shaped; frames/s ${window.perSecond.join(' ')}; freezes ${window.freezes}`);
    // Decoding goes on: at most 3 of the 12 seconds without a new frame (the single stream decodes
    // none), and mostly at a lower layer (a loaded machine makes Chrome rescale its layers for CPU,
    // and the estimate may let a higher layer through for a moment, which then stalls until the
    // next keyframe: runs here saw 0-3 such seconds; docs/simulcast.md).
    expect(window.perSecond.filter((frames) => frames === 0).length).toBeLessThanOrEqual(3);
    const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    expect(median(window.widths), `widths ${window.widths.join(' ')}`).toBeLessThan(clean);
    // At the partner's full frame rate (20/s), not the larger picture at its lowest temporal layer
    // (640 px at 5 frames/s, which is mediasoup's own choice: simulcastPrefer 'resolution').
    expect(median(window.perSecond), `frames/s ${window.perSecond.join(' ')}`).toBeGreaterThanOrEqual(12);

    await clearLink(host);
    await waitForWidth(receiver, (w) => w >= clean, `the top layer (${clean} px) back after the link is restored`, 120_000);
    await expect.poll(() => receiver.textContent('#partner-quality'), { timeout: 30_000 }).toBe('');
  });

  it('a narrow uplink: the sender stops its top layers, and the receiver keeps decoding a lower one', async () => {
    const { receiver, sender, senderHost } = await pair(true);
    const clean = await waitForTopLayer(receiver, sender);
    const layersBefore = (await sentLayers(sender)).length;
    await shapeLink(senderHost, { uplinkKbit: 300 });
    await expect
      .poll(async () => (await sentLayers(sender)).length, { timeout: 60_000, interval: 500, message: 'the sender sending fewer layers at 300 kbit/s up' })
      .toBeLessThan(layersBefore);
    await waitForWidth(receiver, (w) => w > 0 && w < clean, `a lower layer than ${clean} px`, 60_000);
    const window = await measure(receiver, MEASURE_S);
    console.log(`narrow uplink: sending ${(await sentLayers(sender)).join(', ')} px of ${layersBefore} layers; frames/s ${window.perSecond.join(' ')}`);
    expect(window.perSecond.filter((frames) => frames === 0).length).toBeLessThanOrEqual(3);
  });

  it('without simulcast: the same link decodes fewer frames or freezes more', async () => {
    const { receiver, host } = await pair(false);
    await shapeLink(host, SHAPE);
    // Let the queue fill and the damage show before measuring.
    const before = await inboundVideo(receiver);
    await expect.poll(async () => (await inboundVideo(receiver)).packetsLost > before.packetsLost + 50, { timeout: 60_000, interval: 500 }).toBe(true);
    const window = await measure(receiver, MEASURE_S);
    shaped.off = window;
    console.log(`simulcast off, shaped: frames/s ${window.perSecond.join(' ')}; freezes ${window.freezes}; widths ${window.widths.join(' ')}`);
    const on = shaped.on;
    if (!on) throw new Error('the simulcast run must come first (same file, in order)');
    // On a loaded machine Chrome may shrink the single stream for CPU until it nearly fits the link:
    // then it still freezes (Chrome's freezeCount) or stalls where the simulcast layer did not.
    const stalled = (w: Window): number => w.perSecond.filter((frames) => frames === 0).length;
    const worse = sum(window.perSecond) < sum(on.perSecond) || window.freezes > on.freezes || stalled(window) > stalled(on);
    expect(worse, `single stream ${JSON.stringify(window)} vs simulcast ${JSON.stringify(on)}`).toBe(true);
  });
});
