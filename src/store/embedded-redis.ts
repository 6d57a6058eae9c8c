import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
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

/**
 * A redis-server child process listening on a unix socket only (no TCP port), append-only file on,
 * data under the given folder. Used when no REDIS_URL is configured.
 */
export class EmbeddedRedis {
  readonly socketPath: string;
  #child: ChildProcess;
  #exited = false;
  #onUnexpectedExit: ((code: number | null) => void) | undefined;

  private constructor(child: ChildProcess, socketPath: string) {
    this.#child = child;
    this.socketPath = socketPath;
    child.once('exit', (code) => {
      this.#exited = true;
      if (this.#onUnexpectedExit) this.#onUnexpectedExit(code);
    });
  }

  static async create(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
    const dir = resolve(options.dir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const socketPath = join(dir, 'redis.sock');
    const pidFile = join(dir, 'redis.pid');
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
    if (!findExecutable(options.bin)) {
      throw new Error(`redis-server not found at "${options.bin}": install it (apt-get install redis-server) or set REDIS_URL`);
    }
    assertFolderFree(pidFile);
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
    log.info({ socketPath, pid: child.pid }, 'create() | redis-server ready');
    return new EmbeddedRedis(child, socketPath);
  }

  /** Called if redis-server exits without close() having been called. */
  onUnexpectedExit(handler: (code: number | null) => void): void {
    this.#onUnexpectedExit = handler;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  async close(): Promise<void> {
    this.#onUnexpectedExit = undefined;
    if (this.#exited) return;
    const exited = once(this.#child, 'exit');
    this.#child.kill('SIGTERM');
    await exited;
  }
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
