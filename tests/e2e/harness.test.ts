/**
 * Self-test of the end-to-end harness (tests/support/netns.ts, chromium.ts, y4m.ts): real network
 * namespaces, a real HTTP/WebSocket server and real Chromium processes. Needs root.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WebSocketServer } from 'ws';
import type { Page } from 'playwright-core';
import { cleanStaleTestNetworks, createTestNetwork, type TestNetwork } from '../support/netns.js';
import { launchBrowser, recordWebSocketFrames, type LaunchedBrowser } from '../support/chromium.js';
import { launchFirefox, type LaunchedFirefox } from '../support/firefox.js';
import { collectIceCandidates, trackPeerConnections } from '../support/peer-connections.js';
import type { VeilPage } from '../support/veil-page.js';
import { imageToY4m } from '../support/y4m.js';

/** An HTTP + WebSocket server that records each peer's address and tells each socket its own. */
interface RecordingServer {
  readonly origin: string;
  readonly httpPeers: string[];
  close(): Promise<void>;
}

async function startRecordingServer(address: string): Promise<RecordingServer> {
  const httpPeers: string[] = [];
  const server: Server = createServer((req, res) => {
    httpPeers.push(req.socket.remoteAddress ?? '');
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><meta charset="utf-8"><title>harness</title><body></body>');
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => socket.send(JSON.stringify({ youAre: req.socket.remoteAddress })));
  server.listen(0, address);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://${address}:${port}`,
    httpPeers,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** In the page: is it a secure context, and what does getUserMedia give. */
async function probeMedia(page: VeilPage): Promise<{ secure: boolean; tracks: string[] }> {
  return page.evaluate(async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    const tracks = stream.getTracks().map((track) => `${track.kind}:${track.readyState}`);
    return { secure: window.isSecureContext, tracks };
  });
}

/** In the page: connect two RTCPeerConnections to each other and wait for a data channel. */
async function connectLoopbackPeers(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    a.onicecandidate = (event) => void (event.candidate && b.addIceCandidate(event.candidate));
    b.onicecandidate = (event) => void (event.candidate && a.addIceCandidate(event.candidate));
    const opened = new Promise<void>((resolve) => {
      b.ondatachannel = ({ channel }) => channel.addEventListener('open', () => resolve());
    });
    a.createDataChannel('probe');
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription as RTCSessionDescriptionInit);
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription as RTCSessionDescriptionInit);
    await opened;
  });
}

async function ipOutput(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { encoding: 'utf8' }, (error, stdout) => (error === null ? resolve(stdout) : reject(new Error(error.message))));
  });
}

describe('end-to-end harness', () => {
  let net: TestNetwork | undefined;
  let server: RecordingServer | undefined;
  let browsers: (LaunchedBrowser | LaunchedFirefox)[] = [];
  let children: ChildProcess[] = [];
  let dir: string | undefined;

  afterEach(async () => {
    for (const browser of browsers) await browser.close();
    browsers = [];
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill();
        await once(child, 'exit');
      }
    }
    children = [];
    await server?.close();
    server = undefined;
    await net?.close();
    net = undefined;
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('gives each browser its own address, a secure context and a live fake camera', async () => {
    net = await createTestNetwork({ hosts: 2 });
    server = await startRecordingServer(net.serverAddress);
    const { origin } = server;

    for (const host of net.hosts) {
      const launched = await launchBrowser({ netns: host.name, secureOrigins: [origin] });
      browsers.push(launched);
      await trackPeerConnections(launched.context);
      const frames = recordWebSocketFrames(launched.page);
      await launched.page.goto(`${origin}/`);

      expect(await probeMedia(launched.page)).toEqual({ secure: true, tracks: ['audio:live', 'video:live'] });

      await launched.page.evaluate(
        async (url) => {
          const socket = new WebSocket(url);
          await new Promise((resolve) => socket.addEventListener('message', resolve, { once: true }));
        },
        origin.replace(/^http/, 'ws'),
      );
      expect(frames.frames).toEqual([{ url: `${origin.replace(/^http/, 'ws')}/`, payload: JSON.stringify({ youAre: host.address }) }]);
      frames.stop();

      await connectLoopbackPeers(launched.page);
      const candidates = await collectIceCandidates(launched.page);
      expect(candidates.peerConnections).toBe(2);
      expect(candidates.local.length).toBeGreaterThan(0);
      expect(new Set([...candidates.local, ...candidates.remote].map((candidate) => candidate.address))).toEqual(new Set([host.address]));
    }

    const [first, second] = net.hosts;
    expect(first?.address).not.toBe(second?.address);
    expect(new Set(server.httpPeers)).toEqual(new Set(net.hosts.map((host) => host.address)));
  });

  it('gives a Firefox its own address too: a secure context, a live fake camera, and close() twice is fine', async () => {
    net = await createTestNetwork({ hosts: 1 });
    server = await startRecordingServer(net.serverAddress);
    const { origin } = server;
    const host = net.hosts[0];
    if (host === undefined) throw new Error('expected a host');
    const launched = await launchFirefox({ netns: host.name, secureOrigins: [origin] });
    browsers.push(launched);
    await launched.page.goto(`${origin}/`);

    expect(await probeMedia(launched.page)).toEqual({ secure: true, tracks: ['audio:live', 'video:live'] });
    const youAre = await launched.page.evaluate(
      async (url) => {
        const socket = new WebSocket(url);
        const message = await new Promise<MessageEvent<string>>((resolve) => socket.addEventListener('message', resolve, { once: true }));
        return (JSON.parse(message.data) as { youAre: string }).youAre;
      },
      origin.replace(/^http/, 'ws'),
    );
    expect(youAre).toBe(host.address);
    expect(new Set(server.httpPeers)).toEqual(new Set([host.address]));

    await launched.close();
    await launched.close();
  });

  it('keeps hosts apart: a browser in one namespace cannot reach a server in another', async () => {
    net = await createTestNetwork({ hosts: 2 });
    const [first, second] = net.hosts;
    if (first === undefined || second === undefined) throw new Error('expected two hosts');
    // A listener inside host 2, reachable from the root namespace (the positive control).
    const script =
      "const s = require('node:http').createServer((q, r) => r.end('host 2'));" + 's.listen(0, process.argv[1], () => console.log(s.address().port));';
    const child = spawn('ip', ['netns', 'exec', second.name, process.execPath, '-e', script, second.address], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const [portLine] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    const target = `http://${second.address}:${portLine.trim()}/`;
    expect(await (await fetch(target)).text()).toBe('host 2');

    const launched = await launchBrowser({ netns: first.name });
    browsers.push(launched);
    await expect(launched.page.goto(target)).rejects.toThrow(/net::ERR_NETWORK_ACCESS_DENIED/);
  });

  it('plays a y4m made from an image as the camera', async () => {
    dir = await mkdtemp(join(tmpdir(), 'veil-harness-'));
    const image = join(dir, 'red.png');
    await new Promise<void>((resolve, reject) => {
      const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', 'color=c=red:s=320x240', '-frames:v', '1', image];
      execFile('ffmpeg', args, (error) => (error === null ? resolve() : reject(new Error(error.message))));
    });
    const video = await imageToY4m({ image, output: join(dir, 'red.y4m'), width: 320, height: 240 });

    server = await startRecordingServer('127.0.0.1');
    const launched = await launchBrowser({ fakeVideoFile: video });
    browsers.push(launched);
    await launched.page.goto(`${server.origin.replace('127.0.0.1', 'localhost')}/`);
    const pixel = await launched.page.evaluate(async () => {
      const stream = await navigator.mediaDevices.getUserMedia({ video: true });
      const element = document.createElement('video');
      element.muted = true;
      element.srcObject = stream;
      await element.play();
      await new Promise((resolve) => element.requestVideoFrameCallback(resolve));
      const canvas = document.createElement('canvas');
      canvas.width = element.videoWidth;
      canvas.height = element.videoHeight;
      const context2d = canvas.getContext('2d');
      if (context2d === null) throw new Error('no 2d context');
      context2d.drawImage(element, 0, 0);
      const [r = 0, g = 0, b = 0] = context2d.getImageData(canvas.width >> 1, canvas.height >> 1, 1, 1).data;
      return { width: canvas.width, height: canvas.height, r, g, b };
    });
    expect(pixel).toMatchObject({ width: 320, height: 240 });
    expect(pixel.r).toBeGreaterThan(200);
    expect(pixel.g).toBeLessThan(60);
    expect(pixel.b).toBeLessThan(60);
  });

  it('removes every namespace and link on close(), and stale leftovers of dead owners', async () => {
    const ours = (text: string, block: string): boolean => new RegExp(`\\bveil-${block}-`).test(text);

    const closed = await createTestNetwork({ hosts: 2 });
    const closedBlock = closed.serverAddress.split('.')[2] ?? '';
    expect(ours(await ipOutput(['netns', 'list']), closedBlock)).toBe(true);
    await closed.close();
    await closed.close();
    expect(ours(await ipOutput(['netns', 'list']), closedBlock)).toBe(false);
    expect(ours(await ipOutput(['link', 'show']), closedBlock)).toBe(false);

    // Pretend the owner died: same pid, another start time.
    net = await createTestNetwork({ hosts: 1 });
    const block = net.serverAddress.split('.')[2] ?? '';
    await ipOutput(['link', 'set', 'dev', `veil-${block}-s`, 'alias', `veil test network owner=${process.pid}:0`]);
    const removed = await cleanStaleTestNetworks();
    expect(removed).toEqual(expect.arrayContaining([`veil-${block}-1`, `veil-${block}-s`]));
    expect(ours(await ipOutput(['netns', 'list']), block)).toBe(false);
    expect(ours(await ipOutput(['link', 'show']), block)).toBe(false);
  });

  it('rejects an impossible host count, and names the missing browser', async () => {
    await expect(createTestNetwork({ hosts: 0 })).rejects.toThrow(TypeError);
    await expect(launchBrowser({ executablePath: '/nonexistent/chromium' })).rejects.toThrow(/apt-get install chromium/);
  });
});
