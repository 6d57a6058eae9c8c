/**
 * The server under load, as a child process of its own (`node dist/src/index.js`) so that its CPU
 * and memory are read apart from the generator's: from /proc, for the Node process and for each
 * mediasoup-worker it spawned. Loopback only; moderation off unless asked for; no same-machine
 * address (VEIL_RTC_SAME_MACHINE_IP=off), so every candidate is 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/config/paths.js';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

export interface ServerProcess {
  origin: string;
  /** The Prometheus endpoint, when started with `metrics`. */
  metricsUrl: string | null;
  pid: number;
  /** Pids of the mediasoup-worker processes (children of the server). */
  workerPids(): number[];
  /** Pids of the frame tap's ffmpeg decoders (moderation on). */
  decoderPids(): number[];
  close(): Promise<void>;
}

export interface ProcessSample {
  /** CPU seconds (user + system) since the process started. */
  cpuSeconds: number;
  rssBytes: number;
  /** Context switches since the process started: it went to sleep (waiting for work), or was preempted. */
  voluntarySwitches: number;
  involuntarySwitches: number;
}

export const NO_PROCESS: ProcessSample = { cpuSeconds: 0, rssBytes: 0, voluntarySwitches: 0, involuntarySwitches: 0 };

const statusField = (status: string, name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);

/** utime + stime, RSS and context switches of one process, or null when it is gone. */
export function sampleProcess(pid: number): ProcessSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    // Fields after the command name (which may contain spaces), counted from field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const rssPages = Number(fields[21]);
    return {
      cpuSeconds: (utime + stime) / USER_HZ,
      rssBytes: rssPages * 4096,
      voluntarySwitches: statusField(status, 'voluntary_ctxt_switches'),
      involuntarySwitches: statusField(status, 'nonvoluntary_ctxt_switches'),
    };
  } catch {
    return null;
  }
}

function childPids(parent: number, command: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent && name.startsWith(command)) pids.push(Number(entry));
    } catch {
      // The process ended while the list was read.
    }
  }
  return pids;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitHealthy(origin: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode} before it answered`);
    try {
      const response = await fetch(`${origin}/readyz`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the server did not answer ${origin}/readyz within ${timeoutMs} ms`);
}

export interface ServerOptions {
  mediasoupWorkers: number;
  moderation: boolean;
  /** Serve /metrics on a loopback port of its own. */
  metrics?: boolean;
  /** Extra VEIL_* variables. */
  env?: Record<string, string>;
}

export async function startServerProcess(options: ServerOptions): Promise<ServerProcess> {
  const entry = join(projectRoot, 'dist', 'src', 'index.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'veil-load-'));
  const port = await freePort();
  const metricsPort = options.metrics ? await freePort() : null;
  const rtcPortBase = 43000 + Math.floor(Math.random() * 500) * 4;
  const child = spawn(process.execPath, [entry], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      VEIL_HTTP_HOST: '127.0.0.1',
      VEIL_HTTP_PORT: String(port),
      VEIL_DATA_DIR: dataDir,
      VEIL_MEDIASOUP_WORKERS: String(options.mediasoupWorkers),
      VEIL_RTC_PORT_BASE: String(rtcPortBase),
      VEIL_RTC_SAME_MACHINE_IP: 'off',
      VEIL_METRICS: String(metricsPort !== null),
      ...(metricsPort !== null ? { VEIL_METRICS_HOST: '127.0.0.1', VEIL_METRICS_PORT: String(metricsPort) } : {}),
      VEIL_MODERATION: String(options.moderation),
      // Bots churn among few partners: let them meet again at once, and retry matching quickly.
      VEIL_MATCH_RECENT_PARTNER_SECONDS: '0',
      VEIL_MATCH_RETRY_MS: '200',
      VEIL_LOG_LEVEL: 'warn',
      ...options.env,
    },
  });
  const origin = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanUp = (): void => rmSync(dataDir, { recursive: true, force: true });
  try {
    await waitHealthy(origin, child, 60_000);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    cleanUp();
    throw error;
  }
  const pid = child.pid ?? 0;
  return {
    origin,
    metricsUrl: metricsPort !== null ? `http://127.0.0.1:${metricsPort}/metrics` : null,
    pid,
    workerPids: () => childPids(pid, 'mediasoup-worke'),
    decoderPids: () => childPids(pid, 'ffmpeg'),
    async close() {
      // SIGINT stops at once (SIGTERM would drain for up to two minutes).
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      cleanUp();
    },
  };
}
