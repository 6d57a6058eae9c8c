import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'otplib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AccountStore } from '../../src/console/accounts/account-store.js';
import { totpKey } from '../../src/console/accounts/totp-secret-box.js';
import { pdqHashFile } from '../../src/safety/pdq/image-file.js';
import { launchBrowser, type LaunchedBrowser } from '../support/chromium.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { consoleLogin, consoleRequest, type ConsoleSession } from '../support/console-client.js';
import { startTestS3, type TestS3 } from '../support/s3.js';
import { openVeil, pairUp, waitForState } from '../support/veil-page.js';
import { imageToY4m } from '../support/y4m.js';

const PHOTO = join(process.cwd(), 'tests', 'fixtures', 'photos', 'astronaut.png');
const PASSWORD = 'a long moderator password';

/**
 * Moderation across nodes: node one samples its chatter's camera (a listed photo) and bans them;
 * the partner on node two is told, the ban holds on node two, and node two's console opens the
 * evidence node one captured, from the S3 store both share (a real s3rver on the test network).
 */
describe('moderation across nodes', () => {
  let work: string;
  let photoY4m: string;
  let s3: TestS3 | undefined;
  let cluster: TestCluster;
  const browsers: LaunchedBrowser[] = [];

  const open = async (host: number, node: number, fakeVideoFile?: string): Promise<LaunchedBrowser> => {
    const hostInfo = cluster.net.hosts[host];
    if (!hostInfo) throw new Error(`no host ${host}`);
    const b = await launchBrowser({ netns: hostInfo.name, secureOrigins: cluster.nodes.map((n) => n.url), ...(fakeVideoFile ? { fakeVideoFile } : {}) });
    browsers.push(b);
    await openVeil(b.page, cluster.node(node).url);
    return b;
  };

  /** A moderator signed in to node two's console (the account is made once, in the shared Redis). */
  let signedIn: Promise<{ base: string; session: ConsoleSession }> | undefined;
  const consoleOnNodeTwo = (): Promise<{ base: string; session: ConsoleSession }> =>
    (signedIn ??= (async () => {
      const accounts = new AccountStore({ redis: cluster.redis, secretKey: totpKey(cluster.ipHashSecret) });
      const { totpSecret } = await accounts.create({ name: 'mod.cluster', role: 'moderator', password: PASSWORD });
      const base = `${cluster.node(1).url}/console/api`;
      const session = await consoleLogin(base, { name: 'mod.cluster', password: PASSWORD, code: await generate({ secret: totpSecret }) });
      return { base, session };
    })());
  const queueItems = async (base: string, session: ConsoleSession): Promise<{ id: string; reason: string; kind: string }[]> => {
    const queue = await consoleRequest(base, 'GET', '/queue', { cookie: session.cookie, csrf: session.csrf });
    expect(queue.status).toBe(200);
    return (queue.body?.items ?? []) as { id: string; reason: string; kind: string }[];
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'veil-cluster-moderation-'));
    photoY4m = await imageToY4m({ image: PHOTO, output: join(work, 'astronaut.y4m') });
    writeFileSync(join(work, 'hash-list.txt'), `${(await pdqHashFile(PHOTO)).hash}\n`);
    cluster = await startCluster({
      nodes: 2,
      hosts: 3,
      env: { VEIL_PDQ_HASH_LIST_FILE: join(work, 'hash-list.txt'), VEIL_EVIDENCE_STORE: 's3' },
      // Only node one moderates (its models take seconds and memory to load); node two enforces bans.
      nodeEnv: (index): Record<string, string> => (index === 0 ? { VEIL_MODERATION: 'true', VEIL_CLASSIFIER_WORKERS: '1', VEIL_SAMPLE_FIRST_MS: '500' } : {}),
      services: async (net) => {
        s3 = await startTestS3('veil-evidence', net.serverAddress);
        const o = s3.options;
        return {
          VEIL_EVIDENCE_S3_ENDPOINT: o.endpoint,
          VEIL_EVIDENCE_S3_REGION: o.region,
          VEIL_EVIDENCE_S3_BUCKET: o.bucket,
          VEIL_EVIDENCE_S3_PREFIX: o.prefix,
          VEIL_EVIDENCE_S3_ACCESS_KEY_ID: o.accessKeyId,
          VEIL_EVIDENCE_S3_SECRET_ACCESS_KEY: o.secretAccessKey,
          VEIL_EVIDENCE_S3_FORCE_PATH_STYLE: 'true',
        };
      },
    });
  }, 180_000);
  // A failing test shows what the nodes said.
  beforeEach(({ onTestFailed }) => onTestFailed(() => console.error(cluster.tail())));
  afterEach(async () => {
    await Promise.all(browsers.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await cluster?.close();
    await s3?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('a hash match on node one bans everywhere; the partner on node two sees "Stranger disconnected."; node two\'s console opens the evidence', async () => {
    const photo = await open(0, 0, photoY4m);
    const pattern = await open(1, 1);
    await pairUp(photo.page, pattern.page, { mode: 'video' });

    await waitForState(photo.page, 'error');
    const message = (await photo.page.textContent('#status')) ?? '';
    const reference = /Reference (VB-[A-Z2-9]{10})/.exec(message)?.[1];
    expect(reference).toBeDefined();
    await waitForState(pattern.page, 'partner-left');
    expect(await pattern.page.textContent('#status')).toBe('Stranger disconnected.');

    // The ban holds on the other node: the same browser is turned away there at connect.
    await photo.page.goto(`${cluster.node(1).url}/`);
    await waitForState(photo.page, 'error');
    expect(await photo.page.textContent('#status')).toContain(reference);

    // The evidence is ciphertext in the shared bucket, and node two's console serves its image.
    const objects = readdirSync(s3?.dir ?? '', { recursive: true }) as string[];
    expect(objects.some((name) => name.includes('.bin'))).toBe(true);
    const { base, session } = await consoleOnNodeTwo();
    const item = (await queueItems(base, session)).find((entry) => entry.reason === 'csam_hash_match');
    expect(item).toBeDefined();
    const claimed = await consoleRequest(base, 'POST', `/items/${item?.id}/claim`, { cookie: session.cookie, csrf: session.csrf });
    expect(claimed.status).toBe(200);
    const image = await fetch(`${base}/items/${item?.id}/image`, { headers: { cookie: session.cookie, 'x-csrf-token': session.csrf } });
    expect(image.status).toBe(200);
    const jpeg = Buffer.from(await image.arrayBuffer());
    expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  });

  it('a report on node two samples the reported chatter on node one, whose frame reaches the shared review queue', async () => {
    const reported = await open(2, 0);
    const reporter = await open(1, 1);
    await pairUp(reported.page, reporter.page, { mode: 'video' });
    await reporter.page.click('#report');
    await reporter.page.selectOption('#report-reason', 'other');
    await reporter.page.click('#report-confirm');
    const { base, session } = await consoleOnNodeTwo();
    // The bare report is listed at once; the frame sample taken on node one then stands for it.
    const reportItems = async (): Promise<string[]> =>
      (await queueItems(base, session)).filter((entry) => entry.reason === 'user_report').map((entry) => entry.kind);
    await expect.poll(reportItems, { timeout: 30_000 }).toEqual(['evidence']);
  });
});
