import { join } from 'node:path';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { assertUnreachable } from '../protocol/messages.js';
import type { BlobStore } from './blob-store.js';
import { LocalBlobStore } from './local-blob-store.js';
import { httpStatusOf, S3BlobStore } from './s3-blob-store.js';

type StoreConfig = Pick<
  Config,
  | 'dataDir'
  | 'evidenceStore'
  | 'evidenceS3Endpoint'
  | 'evidenceS3Region'
  | 'evidenceS3Bucket'
  | 'evidenceS3Prefix'
  | 'evidenceS3AccessKeyId'
  | 'evidenceS3SecretAccessKey'
  | 'evidenceS3ForcePathStyle'
>;

/**
 * The blob store the configuration names: the folder `dataDir/evidence`, or the shared bucket,
 * checked at start (HeadBucket). A bucket that cannot be used stops start-up with a ConfigError
 * naming the keys to check.
 */
export async function openBlobStore(config: StoreConfig): Promise<BlobStore> {
  switch (config.evidenceStore) {
    case 'local':
      return LocalBlobStore.create(join(config.dataDir, 'evidence'));
    case 's3':
      try {
        return await S3BlobStore.create({
          endpoint: config.evidenceS3Endpoint,
          region: config.evidenceS3Region,
          bucket: config.evidenceS3Bucket,
          prefix: config.evidenceS3Prefix,
          accessKeyId: config.evidenceS3AccessKeyId,
          secretAccessKey: config.evidenceS3SecretAccessKey,
          forcePathStyle: config.evidenceS3ForcePathStyle,
        });
      } catch (error) {
        const where = `bucket "${config.evidenceS3Bucket}" at ${config.evidenceS3Endpoint || `AWS S3 (${config.evidenceS3Region})`}`;
        const detail = error instanceof Error ? error.message : String(error);
        throw new ConfigError(
          `evidenceStore is "s3" but the ${where} cannot be used: ${bucketCheckAdvice(httpStatusOf(error instanceof Error ? error.cause : undefined))} [${detail}]`,
        );
      }
    default:
      return assertUnreachable(config.evidenceStore);
  }
}

/** What to check when HeadBucket failed with `status` (undefined: no answer at all). */
export function bucketCheckAdvice(status: number | undefined): string {
  if (status === undefined) return 'no answer from the server: check evidenceS3Endpoint and that the server is running';
  if (status === 404) return 'no such bucket: create it, or correct evidenceS3Bucket';
  if (status === 401 || status === 403) return 'access refused: check evidenceS3AccessKeyId, evidenceS3SecretAccessKey and the bucket policy';
  if (status === 301 || status === 400) return 'the server refuses this address: check evidenceS3Region and evidenceS3ForcePathStyle';
  return `HTTP ${status}: check evidenceS3Endpoint, evidenceS3Bucket and evidenceS3Region`;
}
