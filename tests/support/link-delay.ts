/**
 * A fixed delay on everything a test host receives, for a kernel with no netem (nor any other
 * delaying qdisc): an iptables NFQUEUE rule in the host's namespace hands each packet to
 * tests/support/link-delay.c, which lets it through `delayMs` later, in order. (nftables' own
 * `queue` statement is missing from this kernel; iptables' NFQUEUE target, through nft's xtables
 * compatibility, works: docs/networks.md.) Needs root, Debian's iptables and, to build the helper
 * once (cached in ~/.cache/veil/link-delay), gcc and libnetfilter-queue-dev: `npm run setup`
 * installs them.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/config/paths.js';

/** From the project root: bench/ bundles move import.meta.url. */
const SOURCE = join(projectRoot, 'tests', 'support', 'link-delay.c');
const QUEUE = 7;

function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) resolve(stdout);
      else if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        reject(new Error(`${command} not found: run npm run setup (apt-get install iptables gcc pkg-config)`));
      else reject(new Error(`${command} ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
    });
  });
}

/** Builds the helper if this version of its source has not been built yet; resolves with its path. */
export async function linkDelayBinary(): Promise<string> {
  const source = readFileSync(SOURCE);
  const dir = join(homedir(), '.cache', 'veil', 'link-delay', createHash('sha256').update(source).digest('hex').slice(0, 12));
  const binary = join(dir, 'link-delay');
  if (existsSync(binary)) return binary;
  const flags = await run('pkg-config', ['--cflags', '--libs', 'libnetfilter_queue']).catch(() => {
    throw new Error('libnetfilter_queue not found: run npm run setup (apt-get install libnetfilter-queue-dev)');
  });
  mkdirSync(dir, { recursive: true });
  await run('gcc', ['-O2', '-Wall', '-o', `${binary}.tmp`, SOURCE, ...flags.trim().split(/\s+/)]);
  await run('mv', [`${binary}.tmp`, binary]);
  return binary;
}

const RULE = ['INPUT', '!', '-i', 'lo', '-j', 'NFQUEUE', '--queue-num', String(QUEUE), '--queue-bypass'];

export interface LinkDelay {
  stop(): Promise<void>;
}

/** Delays every packet the namespace receives (but its loopback) by `delayMs`, until stopped. */
export async function startLinkDelay(netns: string, delayMs: number): Promise<LinkDelay> {
  const binary = await linkDelayBinary();
  const child: ChildProcess = spawn('ip', ['netns', 'exec', netns, binary, String(QUEUE), String(Math.round(delayMs))], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`link-delay in ${netns} exited (${code}) before it was ready: ${stderr.trim()}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString('utf8').includes('ready')) resolve();
    });
  });
  await run('ip', ['netns', 'exec', netns, 'iptables', '-A', ...RULE]);
  return {
    async stop() {
      await run('ip', ['netns', 'exec', netns, 'iptables', '-D', ...RULE]).catch(() => undefined);
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
