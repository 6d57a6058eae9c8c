/**
 * Shapes a test host's link the way a phone or hotel network would: a rate limit on the host's
 * downlink (tc tbf on the root-namespace side of its veth, so it is what the server sends the host)
 * random loss of the UDP it receives (nftables `numgen` in its namespace: this kernel may have
 * no netem), and a delay of everything it receives (an NFQUEUE helper, tests/support/link-delay.ts).
 * Needs root, iproute2's `tc`, Debian's nftables and iptables.
 */
import { execFile } from 'node:child_process';
import { startLinkDelay, type LinkDelay } from './link-delay.js';
import type { TestHost } from './netns.js';
import type { VeilPage } from './veil-page.js';

function run(command: string, args: readonly string[], stdin?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { encoding: 'utf8' }, (error, _stdout, stderr) => {
      if (!error) resolve();
      else if ((error as NodeJS.ErrnoException).code === 'ENOENT') reject(new Error(`${command} not found: apt-get install iproute2 nftables`));
      else reject(new Error(`${command} ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

/** The root-namespace side of a host's veth (veil-K-i -> veil-K-hi, see netns.ts). */
export function downlinkDevice(host: TestHost): string {
  const match = /^veil-(\d+)-(\d+)$/.exec(host.name);
  if (!match) throw new Error(`downlinkDevice() | ${host.name} is not a test host namespace`);
  return `veil-${match[1]}-h${match[2]}`;
}

export interface LinkShape {
  /** Downlink rate in kbit/s (token bucket, 400 ms of queue); undefined: unlimited. */
  readonly rateKbit?: number;
  /** Uplink rate in kbit/s, the same way on the host's own side of its veth; undefined: unlimited. */
  readonly uplinkKbit?: number;
  /** Percent of incoming UDP packets dropped at random, 0..100; undefined: none. */
  readonly lossPercent?: number;
  /** Milliseconds added to every packet the host receives (one way); undefined: none. */
  readonly delayMs?: number;
}

/** `tbf` arguments for `rateKbit`: a burst of a tenth of a second's worth (16 kbit at least), 400 ms of queue. */
function tokenBucket(rateKbit: number): string[] {
  const burstKbit = Math.max(16, Math.round(rateKbit / 10));
  return ['tbf', 'rate', `${rateKbit}kbit`, 'burst', `${burstKbit}kbit`, 'latency', '400ms'];
}

/** The delay helpers running, by host namespace. */
const delays = new Map<string, LinkDelay>();

/** Applies `shape` to the host's downlink, replacing any earlier one. */
export async function shapeLink(host: TestHost, shape: LinkShape): Promise<void> {
  await clearLink(host);
  if (shape.rateKbit !== undefined) await run('tc', ['qdisc', 'add', 'dev', downlinkDevice(host), 'root', ...tokenBucket(shape.rateKbit)]);
  if (shape.uplinkKbit !== undefined) {
    await run('ip', ['netns', 'exec', host.name, 'tc', 'qdisc', 'add', 'dev', 'eth0', 'root', ...tokenBucket(shape.uplinkKbit)]);
  }
  if (shape.lossPercent !== undefined && shape.lossPercent > 0) {
    const percent = Math.min(100, Math.round(shape.lossPercent));
    await run(
      'ip',
      ['netns', 'exec', host.name, 'nft', '-f', '-'],
      `table inet veil_shape {
         chain in { type filter hook input priority 0; meta l4proto udp numgen random mod 100 < ${percent} drop; }
       }
      `,
    );
  }
  if (shape.delayMs !== undefined && shape.delayMs > 0) delays.set(host.name, await startLinkDelay(host.name, shape.delayMs));
}

/** Takes every shape off the host's link (idempotent). */
export async function clearLink(host: TestHost): Promise<void> {
  await delays.get(host.name)?.stop();
  delays.delete(host.name);
  // Deleting a root qdisc that is not there fails ("Cannot delete qdisc with handle of zero"): nothing to undo then.
  await run('tc', ['qdisc', 'del', 'dev', downlinkDevice(host), 'root']).catch(() => undefined);
  await run('ip', ['netns', 'exec', host.name, 'tc', 'qdisc', 'del', 'dev', 'eth0', 'root']).catch(() => undefined);
  await run('ip', ['netns', 'exec', host.name, 'nft', 'delete', 'table', 'inet', 'veil_shape']).catch(() => undefined);
}

/** The partner's video as a browser receives it, from the client's test hook (inbound-rtp). */
export interface InboundVideo {
  framesDecoded: number;
  frameWidth: number;
  freezeCount: number;
  totalFreezesDuration: number;
  packetsLost: number;
}

export async function inboundVideo(page: VeilPage): Promise<InboundVideo> {
  return page.evaluate(async () => {
    const hook = (window as unknown as { __veilTest?: { recvStats(): Promise<Record<string, unknown>[]> } }).__veilTest;
    const video = { framesDecoded: 0, frameWidth: 0, freezeCount: 0, totalFreezesDuration: 0, packetsLost: 0 };
    for (const s of (await hook?.recvStats()) ?? []) {
      if (s['type'] !== 'inbound-rtp' || s['kind'] !== 'video') continue;
      video.framesDecoded += Number(s['framesDecoded'] ?? 0);
      video.frameWidth = Math.max(video.frameWidth, Number(s['frameWidth'] ?? 0));
      video.freezeCount += Number(s['freezeCount'] ?? 0);
      video.totalFreezesDuration += Number(s['totalFreezesDuration'] ?? 0);
      video.packetsLost += Number(s['packetsLost'] ?? 0);
    }
    return video;
  });
}
