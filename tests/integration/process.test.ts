import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config/paths.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';
import { TestClient } from '../support/ws-client.js';

const entry = join(projectRoot, 'dist/src/index.js');

interface Running {
  child: ChildProcess;
  output: () => string;
  url: Promise<string>;
}

/** The server as `node dist/src/index.js`, or (`viaNpm`) as an operator starts it, `npm start`. */
function run(env: Record<string, string>, viaNpm = false): Running {
  const [command, args] = viaNpm ? ['npm', ['start', '--silent']] : [process.execPath, [entry]];
  const child = spawn(command, args, {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /"url":"(http[^"]+)"/.exec(output);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
  url.catch(() => undefined);
  return { child, output: () => output, url };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('the server process (npm start)', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const redisServers: TestRedis[] = [];
  const dataDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'veil-proc-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    }
    for (const server of redisServers.splice(0)) await server.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('starts with its embedded Redis, serves, never logs or stores a client address or chat text, and stops on SIGTERM', async () => {
    const dir = dataDir();
    const server = run({
      VEIL_HTTP_PORT: '0',
      VEIL_DATA_DIR: dir,
      VEIL_MEDIASOUP_WORKERS: '1',
      VEIL_RTC_PORT_BASE: String(44000 + Math.floor(Math.random() * 500)),
      VEIL_TRUSTED_PROXIES: '127.0.0.1',
      VEIL_LOG_LEVEL: 'trace',
    });
    children.push(server.child);
    const url = await server.url;
    expect((await (await fetch(url + '/healthz')).json()).status).toBe('ok');

    const addresses = ['81.2.69.142', '8.8.8.8'];
    const [a, b] = await Promise.all(addresses.map((ip) => TestClient.connect(url, { headers: { 'X-Forwarded-For': ip } })));
    await a!.request({ type: 'start', mode: 'text', interests: ['secretinterest'], countries: [] });
    await b!.request({ type: 'start', mode: 'text', interests: ['secretinterest'], countries: [] });
    await Promise.all([a!.next('paired'), b!.next('paired')]);
    await a!.request({ type: 'chat', text: 'a very private sentence' });
    await b!.next('chat');
    await a!.request({ type: 'report', reason: 'spam' });
    await a!.close();
    await b!.close();

    const exited = once(server.child, 'exit');
    server.child.kill('SIGTERM');
    const [code] = (await exited) as [number];
    expect(code).toBe(0);

    const logs = server.output();
    expect(logs).toContain('report recorded');
    const stored = filesUnder(dir)
      .map((file) => readFileSync(file).toString('latin1'))
      .join('\n');
    expect(stored).toContain('spam');
    for (const text of [...addresses, 'a very private sentence', 'secretinterest']) {
      expect(logs).not.toContain(text);
      expect(stored).not.toContain(text);
    }
  });

  it('drains and stops when the SIGTERM goes to npm, not only to the node process under it', async () => {
    const server = run(
      { VEIL_HTTP_PORT: '0', VEIL_DATA_DIR: dataDir(), VEIL_MEDIASOUP_WORKERS: '1', VEIL_RTC_PORT_BASE: String(44500 + Math.floor(Math.random() * 500)) },
      true,
    );
    children.push(server.child);
    const url = await server.url;
    expect((await fetch(url + '/healthz')).status).toBe(200);
    // Without `exec` in the start script, npm's shell dies and leaves the server running, holding the pipe open.
    const outputClosed = once(server.child.stdout!, 'close');
    server.child.kill('SIGTERM');
    await outputClosed;
    expect(server.output()).toContain('"msg":"drained"');
    await expect(fetch(url + '/healthz')).rejects.toThrow();
  });

  it('stops start-up on a bad setting, naming the key and its variable', async () => {
    const server = run({ VEIL_HTTP_PORT: 'eighty', VEIL_DATA_DIR: dataDir() });
    children.push(server.child);
    const [code] = (await once(server.child, 'exit')) as [number];
    expect(code).toBe(1);
    expect(server.output()).toMatch(/httpPort \(VEIL_HTTP_PORT\)/);
  });

  it('refuses to start on an external Redis without the shared secrets, naming each, and generates none', async () => {
    const redis = await startTestRedis();
    redisServers.push(redis);
    const dir = dataDir();
    const server = run({ REDIS_URL: redis.server.socketPath, VEIL_HTTP_PORT: '0', VEIL_DATA_DIR: dir, VEIL_MEDIASOUP_WORKERS: '1' });
    children.push(server.child);
    const [code] = (await once(server.child, 'exit')) as [number];
    expect(code).toBe(1);
    const output = server.output();
    expect(output).toMatch(/ipHashSecret \(VEIL_IP_HASH_SECRET\): must be set with an external Redis/);
    expect(output).toMatch(/evidenceKeys \(VEIL_EVIDENCE_KEYS\): must be set with an external Redis/);
    expect(output).toContain('every node must share it: generated per-node secrets break bans and evidence across nodes');
    expect(existsSync(join(dir, 'ip-hash.key'))).toBe(false);
    expect(existsSync(join(dir, 'evidence.key'))).toBe(false);
  });

  it('starts on an external Redis once the shared secrets are given, and generates none', async () => {
    const redis = await startTestRedis();
    redisServers.push(redis);
    const dir = dataDir();
    const server = run({
      REDIS_URL: redis.server.socketPath,
      VEIL_IP_HASH_SECRET: 'c0'.repeat(32),
      VEIL_EVIDENCE_KEYS: `k1:${'5a'.repeat(32)}`,
      VEIL_HTTP_PORT: '0',
      VEIL_DATA_DIR: dir,
      VEIL_MEDIASOUP_WORKERS: '1',
      VEIL_RTC_PORT_BASE: String(44500 + Math.floor(Math.random() * 500)),
      VEIL_MODERATION: 'false',
    });
    children.push(server.child);
    const url = await server.url;
    expect((await (await fetch(url + '/readyz')).json()).redis).toBe('ok');
    expect(server.output()).toContain('"redis":"external"');
    expect(existsSync(join(dir, 'ip-hash.key'))).toBe(false);
    expect(existsSync(join(dir, 'evidence.key'))).toBe(false);
  });

  it('refuses plain HTTP on a public address unless told to allow it', async () => {
    const server = run({ VEIL_HTTP_HOST: '0.0.0.0', VEIL_HTTP_PORT: '0', VEIL_DATA_DIR: dataDir(), VEIL_MEDIASOUP_WORKERS: '1' });
    children.push(server.child);
    const [code] = (await once(server.child, 'exit')) as [number];
    expect(code).toBe(1);
    expect(server.output()).toMatch(/refusing to serve plain HTTP on 0\.0\.0\.0/);
  });
});
