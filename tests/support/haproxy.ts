/**
 * The front door of the tests: Debian's HAProxy running config/haproxy.cfg unchanged (its values
 * come from the environment), with a self-signed certificate made by openssl for the test.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/config/paths.js';

const run = promisify(execFile);
const CONFIG = join(projectRoot, 'config', 'haproxy.cfg');

export interface FrontDoor {
  /** https://<address>:<port> */
  readonly url: string;
  output(): string;
  close(): Promise<void>;
}

/** Resolves once something accepts TCP connections on address:port (tried every 50 ms, for 10 s at most). */
async function listening(address: string, port: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: address, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on ${address}:${port} after 10 s`);
}

export async function startFrontDoor(options: { address: string; port: number; nodes: readonly string[] }): Promise<FrontDoor> {
  const dir = mkdtempSync(join(tmpdir(), 'veil-haproxy-'));
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${options.address}`,
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]).catch((error: Error) => {
      throw new Error(`cannot make a test certificate with openssl (apt-get install openssl): ${error.message}`);
    });
    writeFileSync(join(dir, 'front.pem'), readFileSync(join(dir, 'cert.pem'), 'utf8') + readFileSync(join(dir, 'key.pem'), 'utf8'));
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      VEIL_FRONT_BIND: `${options.address}:${options.port}`,
      VEIL_FRONT_CERT: join(dir, 'front.pem'),
    };
    options.nodes.forEach((node, index) => (env[`VEIL_NODE${index + 1}`] = node));
    const child: ChildProcess = spawn('haproxy', ['-db', '-f', CONFIG], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (error) => reject(new Error(`cannot run haproxy (apt-get install haproxy): ${error.message}`)));
      child.once('exit', (code) => reject(new Error(`haproxy exited (${code}):\n${output}`)));
    });
    failed.catch(() => undefined);
    await Promise.race([listening(options.address, options.port), failed]);
    return {
      url: `https://${options.address}:${options.port}`,
      output: () => output,
      async close() {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = once(child, 'exit');
          child.kill('SIGKILL');
          await exited;
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
