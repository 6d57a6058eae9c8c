import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearLink, shapeLink } from '../support/link-shape.js';
import { createTestNetwork, type TestHost, type TestNetwork } from '../support/netns.js';

const PORT = 47_001;

/** Time to open a TCP connection to the host: one SYN in, one SYN-ACK out, so one delay. */
async function connectMs(host: TestHost): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host: host.address, port: PORT }, () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
  return performance.now() - started;
}

/**
 * The link-shape benches' 150 ms delay (tests/support/link-delay.ts: an NFQUEUE helper, since this
 * kernel has no netem) delays what the host receives by that much, and is gone once cleared.
 */
describe('a delayed test link', () => {
  let net: TestNetwork;
  let listener: ChildProcess;
  let host: TestHost;

  beforeAll(async () => {
    net = await createTestNetwork({ hosts: 1 });
    const [first] = net.hosts;
    if (!first) throw new Error('one host');
    host = first;
    const script = `require('node:net').createServer((s) => s.end()).listen(${PORT}, '${host.address}', () => console.log('ready'))`;
    listener = spawn('ip', ['netns', 'exec', host.name, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      listener.once('exit', (code) => reject(new Error(`the listener in ${host.name} exited (${code})`)));
      listener.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString('utf8').includes('ready')) resolve();
      });
    });
  });
  afterAll(async () => {
    if (host) await clearLink(host);
    listener?.kill();
    await net?.close();
  });

  it('adds 150 ms to every connection, and nothing once cleared', async () => {
    const clean = await connectMs(host);
    await shapeLink(host, { delayMs: 150 });
    const delayed = [await connectMs(host), await connectMs(host), await connectMs(host)];
    await clearLink(host);
    const after = await connectMs(host);
    for (const ms of delayed) {
      expect(ms).toBeGreaterThanOrEqual(150);
      expect(ms).toBeLessThan(150 + 250);
    }
    expect(clean).toBeLessThan(100);
    expect(after).toBeLessThan(100);
  });
});
