/**
 * Debian's Firefox ESR driven over WebDriver BiDi by puppeteer-core (which never downloads a
 * browser), optionally started inside a network namespace made by ./netns.ts, with the same shape
 * as ./chromium.ts: launchFirefox() gives a page the ./veil-page.ts helpers drive, and close().
 *
 * Firefox speaks BiDi only over a WebSocket on its own loopback (no pipe, and `localhost` is the
 * only address it binds), and a namespace's loopback cannot be reached from the test process. So
 * in a namespace the executable puppeteer starts is a wrapper that runs a small relay there
 * (`ip netns exec NAME node relay.cjs firefox-esr ...`): the relay starts Firefox, forwards TCP
 * from the namespace's own address to Firefox's BiDi port (putting Firefox's own host and port in
 * the handshake's Host header, the only one it accepts), and prints the endpoint line puppeteer
 * waits for with that address; it also ends Firefox if the test process dies without closing it
 * (its stdin, a pipe from that process, closes). Other hosts cannot reach it (./netns.ts routes
 * each host to the server address only); nothing else changes, so the browser's traffic leaves
 * from the host's address as Chromium's does.
 */
import { access, chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeOnce } from './browser-close.js';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { VeilPage } from './veil-page.js';

export const FIREFOX_PATH = '/usr/bin/firefox-esr';

/** Preferences every test Firefox gets, on top of puppeteer's own (no updates, telemetry, first-run pages). */
export const FIREFOX_PREFS: Readonly<Record<string, unknown>> = {
  // The fake camera and microphone (a moving test picture, a tone), with no permission prompt.
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  // Video plays and is decoded without a user gesture, as Chromium's does with its fake UI.
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  // Nothing of its own on the network: no captive-portal or connectivity probes, no push service.
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'dom.push.enabled': false,
};

export interface LaunchFirefoxOptions {
  /** Run the browser inside this network namespace (a `TestHost.name`). Default: the caller's. */
  readonly netns?: string;
  /**
   * Origins such as `http://10.213.7.1:43123` to treat as secure contexts (pref
   * dom.securecontext.allowlist), so getUserMedia works on plain http from a namespace
   * (`http://localhost` and `http://127.0.0.1` are secure without this).
   */
  readonly secureOrigins?: readonly string[];
  /** Firefox binary. Default: /usr/bin/firefox-esr. */
  readonly executablePath?: string;
  /** Extra preferences, applied last. */
  readonly prefs?: Readonly<Record<string, unknown>>;
}

export interface LaunchedFirefox {
  readonly browser: Browser;
  /** The browser's one tab. */
  readonly page: FirefoxPage;
  /** Closes the browser and removes its temporary files (puppeteer's profile, the relay); idempotent. */
  close(): Promise<void>;
}

const NETNS_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const LAUNCH_TIMEOUT_MS = 30_000;

/**
 * The relay run inside a namespace (see the module comment); argv: firefox binary, then its
 * arguments. CommonJS, no dependencies: it runs in a plain `node`, outside the test transform.
 */
const RELAY_SOURCE = String.raw`'use strict';
const { spawn } = require('node:child_process');
const net = require('node:net');
const os = require('node:os');
const readline = require('node:readline');
const [firefox, ...args] = process.argv.slice(2);
const own = Object.values(os.networkInterfaces()).flat().find((info) => info && info.family === 'IPv4' && !info.internal);
if (!own) {
  process.stderr.write('firefox relay: this namespace has no IPv4 address of its own\n');
  process.exit(1);
}
const child = spawn(firefox, args, { stdio: ['ignore', 'inherit', 'pipe'] });
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
// Our stdin is a pipe from the test process: when that process is gone, so is the browser.
process.stdin.on('end', () => child.kill('SIGKILL'));
process.stdin.on('error', () => child.kill('SIGKILL'));
process.stdin.resume();
readline.createInterface({ input: child.stderr }).on('line', (line) => {
  const endpoint = /^WebDriver BiDi listening on ws:\/\/127\.0\.0\.1:(\d+)\s*$/.exec(line);
  if (!endpoint) {
    process.stderr.write(line + '\n');
    return;
  }
  const port = Number(endpoint[1]);
  const server = net.createServer((socket) => {
    const upstream = net.connect(port, '127.0.0.1');
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
    // Firefox accepts only its own host and port in the handshake's Host header: say so, then relay as is.
    let head = Buffer.alloc(0);
    const onHead = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onHead);
      const headers = head.subarray(0, end).toString('latin1').replace(/^host:.*$/im, 'Host: 127.0.0.1:' + port);
      upstream.write(Buffer.concat([Buffer.from(headers, 'latin1'), head.subarray(end)]));
      socket.pipe(upstream);
    };
    socket.on('data', onHead);
    upstream.pipe(socket);
  });
  server.listen(0, own.address, () => process.stderr.write('WebDriver BiDi listening on ws://' + own.address + ':' + server.address().port + '\n'));
});
`;

async function assertExecutable(path: string): Promise<void> {
  try {
    await access(path, constants.X_OK);
  } catch (error) {
    throw new Error(`launchFirefox() | no Firefox executable at ${path}: apt-get install firefox-esr`, { cause: error });
  }
}

/** Writes the relay and the `ip netns exec` wrapper that puppeteer starts as the browser. */
async function writeNetnsWrapper(dir: string, netns: string, executablePath: string): Promise<string> {
  if (!NETNS_NAME.test(netns)) throw new TypeError(`launchFirefox() | invalid netns name ${JSON.stringify(netns)}`);
  for (const path of [executablePath, process.execPath, dir]) {
    if (/['\n]/.test(path)) throw new TypeError(`launchFirefox() | unusable path ${path}`);
  }
  const relay = join(dir, 'relay.cjs');
  await writeFile(relay, RELAY_SOURCE);
  const wrapper = join(dir, 'firefox-in-netns');
  await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec '${netns}' '${process.execPath}' '${relay}' '${executablePath}' "$@"\n`);
  await chmod(wrapper, 0o700);
  return wrapper;
}

function firefoxPrefs(options: LaunchFirefoxOptions): Record<string, unknown> {
  const prefs: Record<string, unknown> = { ...FIREFOX_PREFS };
  if (options.secureOrigins !== undefined && options.secureOrigins.length > 0) {
    const hosts = options.secureOrigins.map((origin) => {
      const url = new URL(origin);
      if (url.origin !== origin) throw new TypeError(`launchFirefox() | not an origin: ${origin}`);
      return url.hostname;
    });
    prefs['dom.securecontext.allowlist'] = hosts.join(',');
  }
  return { ...prefs, ...options.prefs };
}

/**
 * Launches a headless Firefox ESR with a fake camera and microphone and a fresh temporary profile
 * (made and removed by puppeteer), and returns its one tab.
 */
export async function launchFirefox(options: LaunchFirefoxOptions = {}): Promise<LaunchedFirefox> {
  const executablePath = options.executablePath ?? FIREFOX_PATH;
  await assertExecutable(executablePath);
  const extraPrefsFirefox = firefoxPrefs(options);
  const dir = await mkdtemp(join(tmpdir(), 'veil-firefox-'));
  let browser: Browser | undefined;
  try {
    const launchPath = options.netns === undefined ? executablePath : await writeNetnsWrapper(dir, options.netns, executablePath);
    browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: launchPath,
      headless: true,
      extraPrefsFirefox,
      timeout: LAUNCH_TIMEOUT_MS,
    });
    const page = (await browser.pages())[0] ?? (await browser.newPage());
    return {
      browser,
      page: new FirefoxPage(page),
      close: closeOnce(browser, dir),
    };
  } catch (error) {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A puppeteer page with the methods ./veil-page.ts needs, named and behaving as playwright's. */
export class FirefoxPage implements VeilPage {
  /** The puppeteer page, for what the helpers do not cover. */
  readonly puppeteer: Page;

  constructor(page: Page) {
    this.puppeteer = page;
  }

  async goto(url: string): Promise<unknown> {
    return this.puppeteer.goto(url);
  }

  evaluate<R>(pageFunction: () => R | Promise<R>): Promise<R>;
  evaluate<R, Arg>(pageFunction: (arg: Arg) => R | Promise<R>, arg: Arg): Promise<R>;
  async evaluate<R, Arg>(pageFunction: (arg?: Arg) => R | Promise<R>, arg?: Arg): Promise<R> {
    // The argument crosses to the page as JSON-like data, never as a handle: puppeteer's types allow both.
    return (await this.puppeteer.evaluate(pageFunction as (arg: unknown) => unknown, arg)) as R;
  }

  waitForFunction(pageFunction: () => unknown): Promise<unknown>;
  waitForFunction<Arg>(pageFunction: (arg: Arg) => unknown, arg: Arg, options?: { timeout?: number }): Promise<unknown>;
  async waitForFunction<Arg>(pageFunction: (arg?: Arg) => unknown, arg?: Arg, options: { timeout?: number } = {}): Promise<unknown> {
    // As playwright's: 30 s unless told, the function polled every animation frame.
    const handle = await this.puppeteer.waitForFunction(pageFunction as (arg: unknown) => unknown, { timeout: options.timeout ?? 30_000 }, arg);
    await handle.dispose();
    return undefined;
  }

  async click(selector: string): Promise<void> {
    await this.puppeteer.locator(selector).click();
  }

  async fill(selector: string, value: string): Promise<void> {
    await this.puppeteer.locator(selector).fill(value);
  }

  async press(selector: string, key: 'Enter'): Promise<void> {
    const element = await this.puppeteer.waitForSelector(selector, { visible: true });
    if (!element) throw new Error(`press() | no element ${selector}`);
    try {
      await element.press(key);
    } finally {
      await element.dispose();
    }
  }

  async check(selector: string): Promise<void> {
    const checked = async (): Promise<boolean> => this.puppeteer.$eval(selector, (element) => (element as HTMLInputElement).checked);
    await this.puppeteer.locator(selector).wait();
    if (!(await checked())) await this.click(selector);
    if (!(await checked())) throw new Error(`check() | ${selector} did not become checked`);
  }

  async selectOption(selector: string, values: string[]): Promise<unknown> {
    await this.puppeteer.locator(selector).wait();
    return this.puppeteer.select(selector, ...values);
  }

  async textContent(selector: string): Promise<string | null> {
    await this.puppeteer.locator(selector).wait();
    return this.puppeteer.$eval(selector, (element) => element.textContent);
  }

  /** Runs `script` in every document this page loads from now on, before the page's own scripts. */
  async addInitScript(script: string): Promise<void> {
    await this.puppeteer.evaluateOnNewDocument(script);
  }
}
