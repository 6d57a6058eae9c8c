/**
 * A Redis primary, one replica and one Sentinel watching them, as real redis-server processes on
 * loopback (Debian's redis-server runs the Sentinel too: `redis-server sentinel.conf --sentinel`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface TestSentinel {
  /** "host:port" of the Sentinel, for redisSentinels. */
  readonly sentinel: string;
  readonly name: string;
  /** Ports of the servers, primary first at the start. */
  readonly ports: readonly number[];
  /** Asks the Sentinel to fail over now; resolves when it announces the new primary's port. */
  failover(): Promise<number>;
  close(): Promise<void>;
}

async function startServer(args: string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`cannot run redis-server (apt-get install redis-server): ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`redis-server ${args.join(' ')} exited (${code}):\n${output}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) resolve();
    });
  });
  return child;
}

export async function startTestSentinel(name = 'veil'): Promise<TestSentinel> {
  const dir = mkdtempSync(join(tmpdir(), 'veil-sentinel-'));
  const base = 30_000 + Math.floor(Math.random() * 900) * 10;
  const [primaryPort, replicaPort, sentinelPort] = [base, base + 1, base + 2];
  const children: ChildProcess[] = [];
  const server = (port: number, extra: string[] = []): string[] => [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--dir',
    dir,
    '--dbfilename',
    `dump-${port}.rdb`,
    '--appendonly',
    'yes',
    '--appendfilename',
    `aof-${port}.aof`,
    '--appenddirname',
    `aof-${port}`,
    ...extra,
  ];
  try {
    children.push(await startServer(server(primaryPort), /Ready to accept connections/));
    children.push(await startServer(server(replicaPort, ['--replicaof', '127.0.0.1', String(primaryPort)]), /MASTER <-> REPLICA sync: Finished with success/));
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 1`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
        '',
      ].join('\n'),
    );
    // Ready once it has found the replica (from the primary's INFO): before that it cannot fail over.
    children.push(await startServer([conf, '--sentinel'], /\+slave slave/));
  } catch (error) {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    sentinel: `127.0.0.1:${sentinelPort}`,
    name,
    ports: [primaryPort, replicaPort],
    async failover() {
      const events = new Redis({ host: '127.0.0.1', port: sentinelPort });
      const control = new Redis({ host: '127.0.0.1', port: sentinelPort });
      try {
        await events.subscribe('+switch-master');
        const switched = new Promise<number>((resolve) => {
          events.on('message', (_channel: string, message: string) => resolve(Number(message.split(' ')[4])));
        });
        // Right after "+slave" the Sentinel may not have had INFO from the replica itself yet, and
        // then refuses with NOGOODSLAVE ("No suitable replica to promote"): ask again until it has.
        const deadline = Date.now() + 15_000;
        for (;;) {
          try {
            await control.call('SENTINEL', 'FAILOVER', name);
            break;
          } catch (error) {
            if (!(error instanceof Error) || !error.message.startsWith('NOGOODSLAVE') || Date.now() > deadline) throw error;
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        }
        return await switched;
      } finally {
        events.disconnect();
        control.disconnect();
      }
    },
    async close() {
      for (const child of children.reverse()) {
        if (child.exitCode !== null || child.signalCode !== null) continue;
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
