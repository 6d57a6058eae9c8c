import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { setLogLevel } from '../../src/logging/logger.js';

export interface TestApp {
  app: App;
  dataDir: string;
  config: Config;
  close(): Promise<void>;
}

let nextPortBase = 42000 + Math.floor(Math.random() * 200) * 10;

/** The real server (embedded redis-server, real mediasoup workers) on a random port, quiet logs. */
export async function startTestApp(overrides: Partial<Config> = {}): Promise<TestApp> {
  setLogLevel(process.env.VEIL_TEST_LOG_LEVEL ?? 'silent');
  const dataDir = mkdtempSync(join(tmpdir(), 'veil-app-'));
  // The media ports lie in Linux's ephemeral range (32768-60999), so an outgoing connection of any
  // process may hold one: then the next block of ports is tried (App.create() cleans up after itself).
  for (let attempt = 1; ; attempt++) {
    const rtcPortBase = nextPortBase;
    nextPortBase += 10;
    const config = loadConfig(
      {},
      {
        httpPort: 0,
        dataDir,
        mediasoupWorkers: 2,
        rtcPortBase,
        heartbeatIntervalMs: 1000,
        // Any free port: test apps run side by side.
        metricsPort: 0,
        matchRetryMs: 200,
        logLevel: 'silent',
        // Moderation loads models into worker threads (seconds, ~200 MB each); tests of it turn it on.
        moderation: false,
        // Media on loopback only: a test that wants this machine's network address too says so
        // (otherwise browsers would also be offered the address of the machine's own interface).
        rtcSameMachineIp: 'off',
        ...overrides,
      },
    );
    try {
      return testApp(await App.create(config), dataDir, config);
    } catch (error) {
      const portTaken = /address already in use/.test((error as Error).message) && overrides.rtcPortBase === undefined;
      if (!portTaken || attempt >= 5) throw error;
    }
  }
}

function testApp(app: App, dataDir: string, config: Config): TestApp {
  return {
    app,
    dataDir,
    config,
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Settings of an app whose live-video moderation runs for an end-to-end test: one media worker,
 * one classifier thread, X-Forwarded-For believed from loopback (each browser its own address),
 * each stream sampled once, half a second after pairing.
 */
export const MODERATED_APP: Partial<Config> = {
  mediasoupWorkers: 1,
  trustedProxies: ['127.0.0.1'],
  moderation: true,
  classifierWorkers: 1,
  sampleFirstMs: 500,
  sampleMinIntervalMs: 600_000,
  sampleMaxIntervalMs: 600_000,
};
