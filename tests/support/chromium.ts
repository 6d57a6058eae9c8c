/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser), optionally started
 * inside a network namespace made by ./netns.ts so that it has an address of its own.
 *
 * Playwright talks to the browser over a pipe (--remote-debugging-pipe, fds 3 and 4), not TCP,
 * so a browser in a namespace needs no route back to the test process: the executable playwright
 * starts is a two-line shell wrapper that `exec`s `ip netns exec NAME chromium "$@"`, keeping the
 * pid and the pipe.
 */
import { access, chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeOnce } from './browser-close.js';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page, WebSocket } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags every test browser gets (playwright adds --headless, --no-startup-window and a temp profile). */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
];

export interface LaunchBrowserOptions {
  /** Run the browser inside this network namespace (a `TestHost.name`). Default: the caller's. */
  readonly netns?: string;
  /** A .y4m file the fake camera plays in a loop (see ./y4m.ts). Default: Chromium's test pattern. */
  readonly fakeVideoFile?: string;
  /**
   * Origins such as `http://10.213.7.1:43123` to treat as secure contexts, so that getUserMedia
   * works on plain http from inside a namespace (`http://localhost` is secure without this).
   */
  readonly secureOrigins?: readonly string[];
  /** Chromium binary. Default: /usr/bin/chromium. */
  readonly executablePath?: string;
  /** Extra Chromium flags, appended last. */
  readonly args?: readonly string[];
}

export interface LaunchedBrowser {
  readonly browser: Browser;
  /** Camera and microphone are granted for every origin. */
  readonly context: BrowserContext;
  readonly page: Page;
  /** Closes the browser and removes its temporary files; idempotent. */
  close(): Promise<void>;
}

const NETNS_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

async function assertExecutable(path: string): Promise<void> {
  try {
    await access(path, constants.X_OK);
  } catch (error) {
    throw new Error(`launchBrowser() | no Chromium executable at ${path}: apt-get install chromium`, { cause: error });
  }
}

/** Writes the `ip netns exec` wrapper used as playwright's executablePath. */
async function writeNetnsWrapper(dir: string, netns: string, executablePath: string): Promise<string> {
  if (!NETNS_NAME.test(netns)) throw new TypeError(`launchBrowser() | invalid netns name ${JSON.stringify(netns)}`);
  if (/['\n]/.test(executablePath)) throw new TypeError(`launchBrowser() | unusable executablePath ${executablePath}`);
  const wrapper = join(dir, 'chromium-in-netns');
  await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec '${netns}' '${executablePath}' "$@"\n`);
  await chmod(wrapper, 0o700);
  return wrapper;
}

function chromiumArgs(options: LaunchBrowserOptions): string[] {
  const args = [...CHROMIUM_FLAGS];
  if (options.fakeVideoFile !== undefined) args.push(`--use-file-for-fake-video-capture=${options.fakeVideoFile}`);
  if (options.secureOrigins !== undefined && options.secureOrigins.length > 0) {
    for (const origin of options.secureOrigins) {
      if (new URL(origin).origin !== origin) throw new TypeError(`launchBrowser() | not an origin: ${origin}`);
    }
    args.push(`--unsafely-treat-insecure-origin-as-secure=${options.secureOrigins.join(',')}`);
  }
  args.push(...(options.args ?? []));
  return args;
}

/**
 * Launches a headless Chromium with a fake camera and microphone, a fresh temporary profile
 * (made and removed by playwright), one context with media permissions granted and one page.
 */
export async function launchBrowser(options: LaunchBrowserOptions = {}): Promise<LaunchedBrowser> {
  const executablePath = options.executablePath ?? CHROMIUM_PATH;
  await assertExecutable(executablePath);
  if (options.fakeVideoFile !== undefined) await access(options.fakeVideoFile, constants.R_OK);
  const args = chromiumArgs(options);
  const dir = await mkdtemp(join(tmpdir(), 'veil-chromium-'));
  let browser: Browser | undefined;
  try {
    const launchPath = options.netns === undefined ? executablePath : await writeNetnsWrapper(dir, options.netns, executablePath);
    browser = await chromium.launch({ executablePath: launchPath, args, headless: true });
    const context = await browser.newContext();
    await context.grantPermissions(['camera', 'microphone']);
    const page = await context.newPage();
    return {
      browser,
      context,
      page,
      close: closeOnce(browser, dir),
    };
  } catch (error) {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

export interface WebSocketFrame {
  /** URL of the WebSocket the frame came in on. */
  readonly url: string;
  readonly payload: string | Buffer;
}

export interface WebSocketFrameRecorder {
  /** Every frame the page received so far, in order of arrival. */
  readonly frames: readonly WebSocketFrame[];
  /** Stops recording (frames already recorded stay). */
  stop(): void;
}

/**
 * Records every WebSocket frame the page receives from now on, on every socket it opens. Start
 * it before the page connects (e.g. before page.goto) so that no frame is missed.
 */
export function recordWebSocketFrames(page: Page): WebSocketFrameRecorder {
  const frames: WebSocketFrame[] = [];
  const sockets = new Map<WebSocket, (data: { payload: string | Buffer }) => void>();
  const onWebSocket = (socket: WebSocket): void => {
    const url = socket.url();
    const onFrame = ({ payload }: { payload: string | Buffer }): void => {
      frames.push({ url, payload });
    };
    sockets.set(socket, onFrame);
    socket.on('framereceived', onFrame);
  };
  page.on('websocket', onWebSocket);
  return {
    frames,
    stop() {
      page.off('websocket', onWebSocket);
      for (const [socket, onFrame] of sockets) socket.off('framereceived', onFrame);
      sockets.clear();
    },
  };
}
