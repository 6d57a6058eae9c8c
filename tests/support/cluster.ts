/**
 * Several real Veil node processes (`node dist/src/index.js`), each in a network namespace of its
 * own, sharing one real redis-server that listens on the network's server address: what an
 * operator runs, on one machine. Browsers go in the network's hosts (see ./netns.ts, cluster
 * layout); a node is reachable at `http://<its address>:8080` from the root namespace and the hosts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { projectRoot } from '../../src/config/paths.js';
import { createTestNetwork, type TestHost, type TestNetwork } from './netns.js';

const ENTRY = join(projectRoot, 'dist/src/index.js');
const HTTP_PORT = 8080;
const START_TIMEOUT_MS = 30_000;

export interface ClusterNode {
  readonly id: string;
  readonly host: TestHost;
  readonly url: string;
  /** Everything the process printed so far (pino JSON lines). */
  output(): string;
  /** The running process; undefined while stopped. */
  readonly child: ChildProcess | undefined;
}

export interface ClusterOptions {
  nodes: number;
  /** Browser hosts on the same network. */
  hosts: number;
  /** Extra environment for every node (VEIL_* settings)... */
  env?: Record<string, string>;
  /** ... and for node `index` alone. */
  nodeEnv?: (index: number) => Record<string, string>;
  /**
   * Starts what the nodes need besides Redis once the network exists (an S3 server on its server
   * address, say); returns more environment for every node. The caller stops those services.
   */
  services?: (net: TestNetwork) => Promise<Record<string, string>>;
}

/**
 * One real Veil process (`node dist/src/index.js`) in a network namespace, configured by its
 * environment alone: a node of a cluster, or the whole of a one-machine set-up.
 */
export class NodeProcess implements ClusterNode {
  readonly id: string;
  readonly host: TestHost;
  readonly url: string;
  readonly #env: Record<string, string>;
  #child: ChildProcess | undefined;
  #output = '';

  /** `url`: where it serves, by default the cluster's `http://<host address>:8080`. */
  constructor(id: string, host: TestHost, env: Record<string, string>, url = `http://${host.address}:${HTTP_PORT}`) {
    this.id = id;
    this.host = host;
    this.url = url;
    this.#env = env;
  }

  get child(): ChildProcess | undefined {
    return this.#child;
  }

  output(): string {
    return this.#output;
  }

  /** Starts the process and waits for its "Veil is up" line; rejects with its output if it exits first. */
  async start(): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', this.host.name, process.execPath, ENTRY], {
      env: {
        PATH: process.env.PATH ?? '',
        ...(process.env.MEDIASOUP_WORKER_BIN ? { MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN } : {}),
        ...this.#env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${this.id} did not come up within ${START_TIMEOUT_MS} ms:\n${this.#output}`)), START_TIMEOUT_MS);
      const onData = (chunk: Buffer): void => {
        this.#output += chunk.toString();
        if (this.#output.includes('"msg":"Veil is up"')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`node ${this.id} exited (${code ?? signal}) before it was up:\n${this.#output}`));
      });
    });
  }

  /** Sends a signal and waits for the process to end; how it ended. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.#child;
    if (!child) return { code: null, signal: null };
    const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve([child.exitCode, child.signalCode]) : once(child, 'exit');
    child.kill(signal);
    const [code, by] = (await exited) as [number | null, NodeJS.Signals | null];
    this.#child = undefined;
    return { code, signal: by };
  }
}

export class TestCluster {
  readonly net: TestNetwork;
  readonly nodes: readonly ClusterNode[];
  /** A client of the shared Redis, for assertions. */
  readonly redis: Redis;
  readonly redisUrl: string;
  /** The address-hash secret every node shares. */
  readonly ipHashSecret: string;
  readonly #nodes: readonly NodeProcess[];
  #redisServer: ChildProcess;
  readonly #redisDir: string;
  readonly #dirs: string[];

  private constructor(net: TestNetwork, nodes: NodeProcess[], redisServer: ChildProcess, redisUrl: string, ipHashSecret: string, dirs: string[]) {
    this.#redisDir = dirs[0] ?? '';
    this.net = net;
    this.ipHashSecret = ipHashSecret;
    this.#nodes = nodes;
    this.nodes = nodes;
    this.#redisServer = redisServer;
    this.redisUrl = redisUrl;
    this.redis = new Redis(redisUrl, { lazyConnect: true });
    // While a test has the server down, commands fail; the connection errors themselves are expected.
    this.redis.on('error', () => undefined);
    this.#dirs = dirs;
  }

  /** The network, redis-server and every node, started; on any failure everything made is removed. */
  static async start(options: ClusterOptions): Promise<TestCluster> {
    const net = await createTestNetwork({ nodes: options.nodes, hosts: options.hosts });
    const dirs: string[] = [];
    let redisServer: ChildProcess | undefined;
    try {
      const redisDir = mkdtempSync(join(tmpdir(), 'veil-cluster-redis-'));
      dirs.push(redisDir);
      const started = await startRedis(net.serverAddress, redisDir, 0);
      redisServer = started.child;
      const serviceEnv = (await options.services?.(net)) ?? {};
      const secrets = { VEIL_IP_HASH_SECRET: randomBytes(32).toString('hex'), VEIL_EVIDENCE_KEYS: `k1:${randomBytes(32).toString('hex')}` };
      const nodes = net.nodes.map((host, index) => {
        const dataDir = mkdtempSync(join(tmpdir(), `veil-node${index + 1}-`));
        dirs.push(dataDir);
        return new NodeProcess(`node${index + 1}`, host, {
          REDIS_URL: started.url,
          ...secrets,
          VEIL_NODE_ID: `node${index + 1}`,
          VEIL_DATA_DIR: dataDir,
          VEIL_HTTP_HOST: host.address,
          VEIL_HTTP_PORT: String(HTTP_PORT),
          VEIL_ALLOW_INSECURE_PUBLIC_BIND: 'true',
          // The tests' own clients connect from the root namespace and say who they are in X-Forwarded-For.
          VEIL_TRUSTED_PROXIES: net.serverAddress,
          VEIL_RTC_LISTEN_IP: host.address,
          VEIL_METRICS_HOST: host.address,
          VEIL_MEDIASOUP_WORKERS: '1',
          VEIL_MODERATION: 'false',
          VEIL_MATCH_RETRY_MS: '200',
          VEIL_HEARTBEAT_INTERVAL_MS: '1000',
          VEIL_LOG_LEVEL: 'info',
          ...options.env,
          ...serviceEnv,
          ...options.nodeEnv?.(index),
        });
      });
      const cluster = new TestCluster(net, nodes, redisServer, started.url, secrets.VEIL_IP_HASH_SECRET, dirs);
      await cluster.redis.connect();
      for (const node of nodes) await node.start();
      return cluster;
    } catch (error) {
      redisServer?.kill('SIGKILL');
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      await net.close();
      throw error;
    }
  }

  /** The last lines each node printed, for a failing test's report. */
  tail(lines = 25): string {
    return this.#nodes.map((node) => `--- ${node.id} ---\n${node.output().trimEnd().split('\n').slice(-lines).join('\n')}`).join('\n');
  }

  node(index: number): ClusterNode {
    const node = this.#nodes[index];
    if (!node) throw new RangeError(`no node ${index}`);
    return node;
  }

  /**
   * Signals a node and waits until its process has ended (SIGKILL: as a crash or power loss would;
   * SIGTERM: a drain, which ends when the node is empty or its deadline passes).
   */
  async stop(index: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const node = this.#nodes[index];
    if (!node) throw new RangeError(`no node ${index}`);
    return node.stop(signal);
  }

  /** Starts a stopped node again, with the same id, data folder and address. */
  async restart(index: number): Promise<void> {
    await this.#nodes[index]?.start();
  }

  /** SIGKILLs the shared redis-server (as a crash would). */
  /** Whether the shared redis-server is running (not killed, or started again since). */
  get redisRunning(): boolean {
    return this.#redisServer.exitCode === null && this.#redisServer.signalCode === null;
  }

  async killRedis(): Promise<void> {
    if (!this.redisRunning) return;
    const exited = once(this.#redisServer, 'exit');
    this.#redisServer.kill('SIGKILL');
    await exited;
  }

  /** Starts the shared redis-server again on the same address, port and data (its append-only file). */
  async restartRedis(): Promise<void> {
    const url = new URL(this.redisUrl);
    this.#redisServer = (await startRedis(url.hostname, this.#redisDir, Number(url.port))).child;
  }

  async close(): Promise<void> {
    for (const node of this.#nodes) await node.stop('SIGKILL');
    this.redis.disconnect();
    await this.killRedis();
    for (const dir of this.#dirs) rmSync(dir, { recursive: true, force: true });
    await this.net.close();
  }
}

/**
 * A redis-server on `address` at `port`, or at a free one tried at random when 0; append-only file
 * on (every write synced), so a killed server restarts with its data, as production's should.
 */
async function startRedis(address: string, dir: string, fixedPort: number): Promise<{ child: ChildProcess; url: string }> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = fixedPort || 20_000 + Math.floor(Math.random() * 10_000);
    const child = spawn(
      'redis-server',
      ['--bind', address, '--port', String(port), '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, '--protected-mode', 'no'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const ready = await new Promise<boolean>((resolve, reject) => {
      let output = '';
      child.once('error', (error) => reject(new Error(`cannot run redis-server (apt-get install redis-server): ${error.message}`)));
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve(true);
      });
      child.once('exit', () => {
        if (/Address already in use/.test(output)) resolve(false);
        else reject(new Error(`redis-server exited:\n${output}`));
      });
    });
    if (ready) return { child, url: `redis://${address}:${port}` };
  }
  throw new Error('found no free port for redis-server in 10 tries');
}

export async function startCluster(options: ClusterOptions): Promise<TestCluster> {
  return TestCluster.start(options);
}
