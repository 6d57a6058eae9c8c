import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { logger } from '../logging/logger.js';

const log = logger('embedded-redis');
const SETPRIV = '/usr/bin/setpriv';

export interface EmbeddedRedisOptions {
  /** redis-server executable (Debian: apt-get install redis-server). */
  bin: string;
  /** Folder for the AOF files and the unix socket. */
  dir: string;
  /** Give up if the server is not ready in this many milliseconds. */
  startTimeoutMs?: number;
}

/** Waits before each attempt to start a redis-server that died again; after the last, it is lost. */
const RESTART_DELAYS_MS = [100, 500, 1000, 2000, 5000] as const;

export interface EmbeddedRedisEvents {
  /** redis-server died and a new one serves the same socket and data. */
  restarted: [pid: number | undefined];
}

/**
 * A redis-server child process listening on a unix socket only (no TCP port), append-only file on,
 * data under the given folder. Used when no REDIS_URL is configured. If it dies it is started again
 * on the same socket and data (the append-only file gives back what was written, bans included),
 * so a crash costs the node a few seconds of Redis, not its chats; ioredis reconnects by itself.
 */
export class EmbeddedRedis extends EventEmitter<EmbeddedRedisEvents> {
  readonly socketPath: string;
  readonly #start: () => Promise<ChildProcess>;
  #child: ChildProcess;
  #closing = false;
  #onLost: ((error: Error) => void) | undefined;

  private constructor(child: ChildProcess, socketPath: string, start: () => Promise<ChildProcess>) {
    super();
    this.#child = child;
    this.socketPath = socketPath;
    this.#start = start;
    this.#watch(child);
  }

  static async create(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
    const dir = resolve(options.dir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const socketPath = join(dir, 'redis.sock');
    const pidFile = join(dir, 'redis.pid');
    if (!findExecutable(options.bin)) {
      throw new Error(`redis-server not found at "${options.bin}": install it (apt-get install redis-server) or set REDIS_URL`);
    }
    assertFolderFree(pidFile);
    const start = (): Promise<ChildProcess> => startRedisServer(options, dir, socketPath, pidFile);
    const child = await start();
    log.info({ socketPath, pid: child.pid }, 'create() | redis-server ready');
    return new EmbeddedRedis(child, socketPath, start);
  }

  /** Called when redis-server died and could not be started again. */
  onLost(handler: (error: Error) => void): void {
    this.#onLost = handler;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  async close(): Promise<void> {
    this.#closing = true;
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }

  #watch(child: ChildProcess): void {
    child.once('exit', (code, signal) => {
      if (this.#closing || child !== this.#child) return;
      log.warn({ code, signal }, 'redis-server exited; starting it again on the same socket and data');
      this.#restart(0);
    });
  }

  #restart(attempt: number): void {
    const delay = RESTART_DELAYS_MS[attempt];
    if (delay === undefined) {
      log.error({ attempts: attempt }, 'redis-server could not be started again');
      this.#onLost?.(new Error(`redis-server exited and did not start again in ${attempt} attempts`));
      return;
    }
    setTimeout(() => {
      if (this.#closing) return;
      this.#start().then(
        (child) => {
          if (this.#closing) {
            child.kill('SIGTERM');
            return;
          }
          this.#child = child;
          this.#watch(child);
          log.info({ pid: child.pid, attempt: attempt + 1 }, 'redis-server started again');
          this.emit('restarted', child.pid);
        },
        (error: Error) => {
          log.warn({ err: error.message, attempt: attempt + 1 }, 'redis-server did not start again; retrying');
          this.#restart(attempt + 1);
        },
      );
    }, delay);
  }
}

/** Starts redis-server on the unix socket and resolves once it accepts connections. */
async function startRedisServer(options: EmbeddedRedisOptions, dir: string, socketPath: string, pidFile: string): Promise<ChildProcess> {
  const args = [
    '--port',
    '0',
    '--unixsocket',
    socketPath,
    '--unixsocketperm',
    '700',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--save',
    '',
    '--daemonize',
    'no',
    '--loglevel',
    'notice',
  ];
  // setpriv (util-linux) makes the kernel stop redis-server when this process dies, even by SIGKILL.
  const [command, commandArgs] = existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'TERM', '--', options.bin, ...args]] : [options.bin, args];
  const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.once('spawn', () => writeFileSync(pidFile, String(child.pid)));
  const output: string[] = [];
  const ready = new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`redis-server did not start within ${options.startTimeoutMs ?? 10_000} ms: ${output.join('')}`)),
      options.startTimeoutMs ?? 10_000,
    );
    const onData = (chunk: Buffer): void => {
      output.push(chunk.toString());
      if (/ready to accept connections/i.test(output.join(''))) {
        clearTimeout(timer);
        resolveReady();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with code ${code} before it was ready: ${output.join('').trim()}`));
    });
  });
  try {
    await ready;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  child.stdout?.removeAllListeners('data');
  child.stdout?.resume();
  return child;
}

/** Refuses a folder whose redis-server is still running (another Veil process uses it). */
function assertFolderFree(pidFile: string): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) return;
  let command = '';
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (command.includes('redis-server')) {
    throw new Error(`${dirname(pidFile)} is in use by redis-server (pid ${pid}): is another Veil process running on this data folder?`);
  }
}

/** The path of an executable given by path or found on PATH, or undefined. */
function findExecutable(bin: string): string | undefined {
  const candidates = bin.includes('/') ? [bin] : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, bin));
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
