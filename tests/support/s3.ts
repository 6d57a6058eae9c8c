import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import type { S3BlobStoreOptions } from '../../src/evidence/s3-blob-store.js';

export interface TestS3 {
  /** The folder s3rver keeps its buckets in: `<dir>/<bucket>/...`. */
  dir: string;
  /** Options for an S3BlobStore on the test bucket (prefix `evidence/`). */
  options: S3BlobStoreOptions;
  close(): Promise<void>;
}

/** A real S3 server (s3rver, the S3 protocol over a folder) on `address` (127.0.0.1), a random port, with one bucket. */
export async function startTestS3(bucket = 'veil-evidence', address = '127.0.0.1'): Promise<TestS3> {
  const dir = mkdtempSync(join(tmpdir(), 'veil-s3-'));
  const server = new S3rver({ address, port: 0, silent: true, directory: dir, configureBuckets: [{ name: bucket, configs: [] }] });
  const { port } = await server.run();
  return {
    dir,
    options: {
      endpoint: `http://${address}:${port}`,
      region: 'us-east-1',
      bucket,
      prefix: 'evidence/',
      // s3rver's fixed credentials.
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
    },
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
