/**
 * Per-test "hosts" made of Linux network namespaces, so that every browser in an end-to-end test
 * has an IPv4 address of its own and the server can tell them apart.
 *
 * Layout of one network (block K, chosen at random in 10.213.0.0/16 and claimed atomically):
 *
 *   root namespace                                 namespace veil-K-i (one per host, i = 1..n)
 *   veil-K-s   10.213.K.1/32  (server address)
 *   veil-K-hi  10.213.K.(4i+1)/30  <-- veth -->    eth0  10.213.K.(4i+2)/30, lo up,
 *                                                  default via 10.213.K.(4i+1),
 *                                                  10.213.K.1 via 10.213.K.(4i+1),
 *                                                  prohibit 10.213.K.0/24 (the other hosts)
 *
 * The server address is local to the root namespace, so a server bound to it is reachable from
 * every host without forwarding; forwarding is switched off on each host-side veth so that nothing
 * a browser sends can leave the machine, whatever the global ip_forward says. No IPv6 addresses
 * are generated on our links.
 *
 * Cluster layout (`nodes` > 0), for several server processes each in a namespace of its own:
 *
 *   root namespace                                 namespaces veil-K-i, i = 1..nodes+hosts
 *   veil-K-s   bridge, 10.213.K.1/24               eth0  10.213.K.(4i+2)/24, lo up, no default
 *   veil-K-hi  veth, a port of the bridge <-->     route; nodes are i = 1..nodes; a host also gets
 *                                                  "prohibit" routes to every other host's address
 *
 * Everything is one Ethernet segment, so nothing is routed; forwarding is off on the bridge, so
 * nothing sent to the root namespace goes further.
 *
 * Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) and iproute2's `ip`.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';

const PREFIX = 'veil-';
const NET = '10.213';
const MAX_HOSTS = 63;
const CLAIM_ATTEMPTS = 32;
const OWNER_ALIAS = 'veil test network owner=';
/** veil-<block>-s (server link), veil-<block>-h<i> (host-side veth), veil-<block>-<i> (netns). */
const NAME_PATTERN = /^veil-(\d{1,3})-(s|h\d{1,2}|\d{1,2})$/;

export interface TestHost {
  /** Network namespace name, e.g. for `ip netns exec` or `launchBrowser({ netns })`. */
  readonly name: string;
  /** The host's own address (namespace side of its veth). */
  readonly address: string;
  /** The root-namespace side of the host's veth, its default gateway. */
  readonly gateway: string;
}

export interface TestNetworkOptions {
  /** Number of hosts (namespaces), 1..63 (with `nodes`, at most 63 in all). */
  readonly hosts: number;
  /**
   * Namespaces for server nodes (0 by default). With nodes, every namespace sits on one bridge with
   * the server address (10.213.K.0/24, see the cluster layout below): nodes reach each other and the
   * root namespace, hosts reach the nodes and the root namespace but not each other.
   */
  readonly nodes?: number;
}

export type TestNetworkErrorCode = 'NOT_ROOT' | 'IP_MISSING' | 'NOT_PERMITTED' | 'NO_FREE_BLOCK' | 'SETUP_FAILED';

/** The network could not be made; `message` says what is missing and how to fix it. */
export class TestNetworkError extends Error {
  constructor(
    readonly code: TestNetworkErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TestNetworkError';
  }
}

class IpCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`ip ${args.join(' ')} | failed: ${stderr.trim() || String(options?.cause)}`, options);
    this.name = 'IpCommandError';
  }
}

/** Runs `ip ARGS...` (no shell) and returns its stdout. */
async function ip(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) {
        resolve(stdout);
        return;
      }
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(
          new TestNetworkError('IP_MISSING', 'createTestNetwork() | `ip` not found on PATH: apt-get install iproute2', {
            cause: error,
          }),
        );
        return;
      }
      reject(new IpCommandError(args, stderr, { cause: error }));
    });
  });
}

/** Like ip(), but a missing device or namespace is not an error (idempotent deletes); false then. */
async function ipDelete(args: readonly string[]): Promise<boolean> {
  try {
    await ip(args);
    return true;
  } catch (error) {
    const gone = /Cannot find device|does not exist|No such file or directory|Cannot open network namespace/i;
    if (error instanceof IpCommandError && gone.test(error.stderr)) return false;
    throw error;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Parses `ip -j ...` output into its objects. */
function parseIpJson(stdout: string): Record<string, unknown>[] {
  if (stdout.trim() === '') return [];
  const parsed: unknown = JSON.parse(stdout);
  return Array.isArray(parsed) ? parsed.filter(isRecord) : [];
}

function stringField(entry: Record<string, unknown>, key: string): string | undefined {
  const value = entry[key];
  return typeof value === 'string' ? value : undefined;
}

async function listLinks(): Promise<{ name: string; alias: string | undefined }[]> {
  return parseIpJson(await ip(['-j', 'link', 'show'])).flatMap((entry) => {
    const name = stringField(entry, 'ifname');
    return name === undefined ? [] : [{ name, alias: stringField(entry, 'ifalias') }];
  });
}

async function listNamespaces(): Promise<string[]> {
  return parseIpJson(await ip(['-j', 'netns', 'list'])).flatMap((entry) => {
    const name = stringField(entry, 'name');
    return name === undefined ? [] : [name];
  });
}

/** Start time of a process (field 22 of /proc/PID/stat), or undefined if it does not exist. */
async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: split after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

async function ownerTag(): Promise<string> {
  return `${OWNER_ALIAS}${process.pid}:${(await processStartTime(process.pid)) ?? '?'}`;
}

async function isOwnerAlive(alias: string | undefined): Promise<boolean> {
  const match = alias?.startsWith(OWNER_ALIAS) ? /^(\d+):(\S+)$/.exec(alias.slice(OWNER_ALIAS.length)) : null;
  if (!match?.[1] || !match[2]) return false;
  return (await processStartTime(Number(match[1]))) === match[2];
}

function blockOf(name: string): number | undefined {
  const block = NAME_PATTERN.exec(name)?.[1];
  return block === undefined ? undefined : Number(block);
}

/**
 * Deletes leftovers of test networks whose owning process is gone (a crashed or killed run):
 * namespaces and links named veil-<block>-*. Networks of live processes are left alone.
 * Returns the names it deleted. Called by createTestNetwork() before it claims a block.
 */
export async function cleanStaleTestNetworks(): Promise<string[]> {
  // Namespaces before links: a live run creates (and names the owner of) its server link before
  // its namespaces, so every namespace listed here has its server link in the later list.
  const namespaces = (await listNamespaces()).filter((name) => blockOf(name) !== undefined);
  const links = (await listLinks()).filter((link) => blockOf(link.name) !== undefined);
  const liveBlocks = new Set<number>();
  for (const link of links) {
    const block = blockOf(link.name);
    if (link.name.endsWith('-s') && block !== undefined && (await isOwnerAlive(link.alias))) liveBlocks.add(block);
  }
  const removed: string[] = [];
  // Namespaces first (deleting one frees its veth pair), server links last: a block stays
  // claimed until everything else in it is gone.
  for (const name of namespaces) {
    if (liveBlocks.has(blockOf(name) ?? -1)) continue;
    if (await ipDelete(['netns', 'delete', name])) removed.push(name);
  }
  const stale = links.filter((link) => !liveBlocks.has(blockOf(link.name) ?? -1));
  stale.sort((a, b) => Number(a.name.endsWith('-s')) - Number(b.name.endsWith('-s')));
  for (const link of stale) {
    if (await ipDelete(['link', 'delete', 'dev', link.name])) removed.push(link.name);
  }
  return removed;
}

function ipv4ToInt(address: string): number {
  return address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/** True if prefix `a` (e.g. "10.0.0.0/8" or "10.213.4.1") overlaps prefix `b`. */
function prefixesOverlap(a: string, b: string): boolean {
  const [addrA = '', lenA = '32'] = a.split('/');
  const [addrB = '', lenB = '32'] = b.split('/');
  const len = Math.min(Number(lenA), Number(lenB));
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return (ipv4ToInt(addrA) & mask) >>> 0 === (ipv4ToInt(addrB) & mask) >>> 0;
}

/** IPv4 prefixes in use on this machine (routes of every table, and addresses), minus default. */
async function prefixesInUse(): Promise<string[]> {
  const routes = parseIpJson(await ip(['-j', '-4', 'route', 'show', 'table', 'all'])).flatMap((entry) => {
    const dst = stringField(entry, 'dst');
    return dst === undefined || dst === 'default' || !/^\d/.test(dst) ? [] : [dst];
  });
  const addresses = parseIpJson(await ip(['-j', '-4', 'addr', 'show'])).flatMap((entry) => {
    const infos = Array.isArray(entry['addr_info']) ? entry['addr_info'].filter(isRecord) : [];
    return infos.flatMap((info) => {
      const local = stringField(info, 'local');
      return local === undefined ? [] : [`${local}/${Number(info['prefixlen'] ?? 32)}`];
    });
  });
  return [...routes, ...addresses];
}

async function assertCanCreateNamespaces(): Promise<void> {
  const uid = process.getuid?.();
  if (uid !== 0) {
    throw new TestNetworkError(
      'NOT_ROOT',
      `createTestNetwork() | needs root (uid 0) to create network namespaces, running as uid ${String(uid)}: ` +
        'run the end-to-end tests as root (CI does), e.g. `sudo npx vitest run --config tests/vitest.config.ts tests/e2e`',
    );
  }
  await ip(['-V']);
}

/** Turns an `ip` permission failure into an error that says which capabilities are missing. */
function explainPermission(error: unknown): unknown {
  if (!(error instanceof IpCommandError) || !/Operation not permitted|Permission denied/i.test(error.stderr)) return error;
  return new TestNetworkError(
    'NOT_PERMITTED',
    `createTestNetwork() | not permitted to create links and network namespaces (${error.message}): the process ` +
      'needs CAP_NET_ADMIN and CAP_SYS_ADMIN (real root; root inside a user namespace is not enough); in a ' +
      'container run it with `--cap-add NET_ADMIN --cap-add SYS_ADMIN` (or `--privileged`)',
    { cause: error },
  );
}

export class TestNetwork {
  readonly serverAddress: string;
  readonly hosts: readonly TestHost[];
  /** Server namespaces of the cluster layout (empty otherwise). */
  readonly nodes: readonly TestHost[];
  readonly #block: number;
  #closed = false;

  private constructor(block: number, nodes: readonly TestHost[], hosts: readonly TestHost[]) {
    this.#block = block;
    this.serverAddress = `${NET}.${block}.1`;
    this.nodes = nodes;
    this.hosts = hosts;
  }

  get #namespaces(): readonly TestHost[] {
    return [...this.nodes, ...this.hosts];
  }

  /** Claims a free block, then builds the server link and one namespace per host. */
  static async create(options: TestNetworkOptions): Promise<TestNetwork> {
    const count = options.hosts;
    const nodeCount = options.nodes ?? 0;
    if (!Number.isInteger(count) || count < 1 || !Number.isInteger(nodeCount) || nodeCount < 0 || count + nodeCount > MAX_HOSTS) {
      throw new TypeError(
        `createTestNetwork() | hosts (1..) and nodes (0..) must be integers, at most ${MAX_HOSTS} in all, got ${String(count)} and ${String(nodeCount)}`,
      );
    }
    const cluster = nodeCount > 0;
    await assertCanCreateNamespaces();
    let block: number;
    try {
      await cleanStaleTestNetworks();
      block = await TestNetwork.#claimBlock(cluster);
    } catch (error) {
      throw explainPermission(error);
    }
    const all = Array.from({ length: nodeCount + count }, (_, index): TestHost => {
      const i = index + 1;
      const gateway = cluster ? `${NET}.${block}.1` : `${NET}.${block}.${4 * i + 1}`;
      return { name: `${PREFIX}${block}-${i}`, address: `${NET}.${block}.${4 * i + 2}`, gateway };
    });
    const network = new TestNetwork(block, all.slice(0, nodeCount), all.slice(nodeCount));
    try {
      await network.#setUpServerLink(cluster);
      for (const [index, host] of all.entries()) {
        if (!cluster) await network.#setUpHost(index + 1, host);
        else await network.#setUpBridgedHost(index + 1, host, index < nodeCount ? [] : network.hosts.filter((other) => other !== host));
      }
    } catch (error) {
      const explained = explainPermission(error);
      const failure =
        explained instanceof TestNetworkError
          ? explained
          : new TestNetworkError('SETUP_FAILED', `createTestNetwork() | setting up ${NET}.${block}.0/24 failed: ${String(error)}`, {
              cause: error,
            });
      try {
        await network.close();
      } catch (closeError) {
        failure.message += ` (cleaning up failed too: ${String(closeError)}; cleanStaleTestNetworks() removes the rest)`;
      }
      throw failure;
    }
    return network;
  }

  /**
   * Picks a random /24 in 10.213.0.0/16 that no address or route on this machine overlaps, and
   * claims it by creating its server link (creation fails if a parallel run got there first).
   */
  static async #claimBlock(bridge: boolean): Promise<number> {
    const owner = await ownerTag();
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      const block = Math.floor(Math.random() * 256);
      const inUse = await prefixesInUse();
      if (inUse.some((prefix) => prefixesOverlap(prefix, `${NET}.${block}.0/24`))) continue;
      const link = `${PREFIX}${block}-s`;
      try {
        await TestNetwork.#addServerLink(link, bridge);
      } catch (error) {
        if (error instanceof IpCommandError && /File exists/.test(error.stderr)) continue;
        throw error;
      }
      try {
        await ip(['link', 'set', 'dev', link, 'alias', owner]);
      } catch (error) {
        // A concurrent stale-cleaner removed the link before it had its owner: take another block.
        if (error instanceof IpCommandError && /Cannot find device/.test(error.stderr)) continue;
        throw error;
      }
      return block;
    }
    throw new TestNetworkError(
      'NO_FREE_BLOCK',
      `createTestNetwork() | found no free /24 in ${NET}.0.0/16 after ${CLAIM_ATTEMPTS} tries: ` +
        `routes or addresses on this machine overlap it (see \`ip route show table all\`), or too many test runs are live`,
    );
  }

  /** A dummy link if the kernel has them, else an empty bridge (both just carry an address). */
  static async #addServerLink(link: string, bridge: boolean): Promise<void> {
    if (bridge) {
      await ip(['link', 'add', 'name', link, 'type', 'bridge']);
      return;
    }
    try {
      await ip(['link', 'add', 'name', link, 'type', 'dummy']);
    } catch (error) {
      if (!(error instanceof IpCommandError) || !/Unknown device type|Not supported/i.test(error.stderr)) throw error;
      await ip(['link', 'add', 'name', link, 'type', 'bridge']);
    }
  }

  async #setUpServerLink(cluster: boolean): Promise<void> {
    const link = `${PREFIX}${this.#block}-s`;
    await ip(['link', 'set', 'dev', link, 'addrgenmode', 'none']);
    await ip(['addr', 'add', `${this.serverAddress}/${cluster ? 24 : 32}`, 'dev', link]);
    await ip(['link', 'set', 'dev', link, 'up']);
    if (cluster) await writeFile(`/proc/sys/net/ipv4/conf/${link}/forwarding`, '0');
  }

  /** A namespace on the cluster bridge; `unreachable` hosts are refused at once from it. */
  async #setUpBridgedHost(index: number, host: TestHost, unreachable: readonly TestHost[]): Promise<void> {
    const hostLink = `${PREFIX}${this.#block}-h${index}`;
    await ip(['netns', 'add', host.name]);
    await ip(['link', 'add', 'name', hostLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.name]);
    await ip(['link', 'set', 'dev', hostLink, 'addrgenmode', 'none']);
    await ip(['link', 'set', 'dev', hostLink, 'master', `${PREFIX}${this.#block}-s`]);
    await ip(['link', 'set', 'dev', hostLink, 'up']);
    await ip(['-n', host.name, 'link', 'set', 'dev', 'lo', 'up']);
    await ip(['-n', host.name, 'link', 'set', 'dev', 'eth0', 'addrgenmode', 'none']);
    await ip(['-n', host.name, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
    await ip(['-n', host.name, 'link', 'set', 'dev', 'eth0', 'up']);
    for (const other of unreachable) await ip(['-n', host.name, 'route', 'add', 'prohibit', `${other.address}/32`]);
  }

  async #setUpHost(index: number, host: TestHost): Promise<void> {
    const hostLink = `${PREFIX}${this.#block}-h${index}`;
    await ip(['netns', 'add', host.name]);
    await ip(['link', 'add', 'name', hostLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.name]);
    // Nothing received from a host may be routed onwards, even if the machine forwards.
    await writeFile(`/proc/sys/net/ipv4/conf/${hostLink}/forwarding`, '0');
    await ip(['link', 'set', 'dev', hostLink, 'addrgenmode', 'none']);
    await ip(['addr', 'add', `${host.gateway}/30`, 'dev', hostLink]);
    await ip(['link', 'set', 'dev', hostLink, 'up']);
    await ip(['-n', host.name, 'link', 'set', 'dev', 'lo', 'up']);
    await ip(['-n', host.name, 'link', 'set', 'dev', 'eth0', 'addrgenmode', 'none']);
    await ip(['-n', host.name, 'addr', 'add', `${host.address}/30`, 'dev', 'eth0']);
    await ip(['-n', host.name, 'link', 'set', 'dev', 'eth0', 'up']);
    await ip(['-n', host.name, 'route', 'add', 'default', 'via', host.gateway]);
    // Other hosts of the block are refused at once (EACCES), not left to time out.
    await ip(['-n', host.name, 'route', 'add', 'prohibit', `${NET}.${this.#block}.0/24`]);
    await ip(['-n', host.name, 'route', 'add', `${this.serverAddress}/32`, 'via', host.gateway]);
  }

  /**
   * Deletes every namespace and link of this network; idempotent. Processes still running in a
   * namespace (close browsers first) keep it alive unnamed, but its veth is deleted here anyway.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const [index, host] of this.#namespaces.entries()) {
      await ipDelete(['netns', 'delete', host.name]);
      await ipDelete(['link', 'delete', 'dev', `${PREFIX}${this.#block}-h${index + 1}`]);
    }
    await ipDelete(['link', 'delete', 'dev', `${PREFIX}${this.#block}-s`]);
  }
}

/** `const net = await createTestNetwork({ hosts: 2 })`; `await net.close()` when done. */
export async function createTestNetwork(options: TestNetworkOptions): Promise<TestNetwork> {
  return TestNetwork.create(options);
}
