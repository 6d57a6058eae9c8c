import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { EVIDENCE_ID_PATTERN, type BlobEntry, type BlobStore } from './blob-store.js';
import { EvidenceError } from './errors.js';

const OBJECT = /^([0-9a-f-]{36})\.bin$/;
const CONNECT_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 30_000;

export interface S3BlobStoreOptions {
  /** e.g. `https://minio.internal:9000`; empty: AWS S3 of `region`. */
  endpoint: string;
  region: string;
  bucket: string;
  /** Put before `<id>.bin` in every key, e.g. `evidence/`. */
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `http://host/bucket/key` rather than `http://bucket.host/key` (MinIO, Ceph RGW, s3rver). */
  forcePathStyle: boolean;
}

/**
 * A bucket of an S3-compatible object store that every node shares (MinIO, Ceph RGW, AWS S3): one
 * object `<prefix><id>.bin` per item, holding the sealed file exactly as the local folder does.
 * Keys carry the evidence id and nothing else. Failures are EvidenceError STORE_UNAVAILABLE (503)
 * with the server's answer in the message; a missing object is null/false, not an error.
 */
export class S3BlobStore implements BlobStore {
  readonly location: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  private constructor(client: S3Client, options: S3BlobStoreOptions) {
    this.#client = client;
    this.#bucket = options.bucket;
    this.#prefix = options.prefix;
    this.location = `s3:${options.bucket}/${options.prefix}`;
  }

  /** Connects and checks that the bucket exists and the credentials may use it (HeadBucket). */
  static async create(options: S3BlobStoreOptions): Promise<S3BlobStore> {
    const client = new S3Client({
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      // The sealed file carries its own AES-GCM tag; the extra CRC headers of newer SDKs are
      // refused by some S3-compatible servers, so checksums are sent only where S3 requires them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
    });
    const store = new S3BlobStore(client, options);
    try {
      await store.#send('HeadBucket', () => client.send(new HeadBucketCommand({ Bucket: options.bucket })));
    } catch (error) {
      client.destroy();
      throw error;
    }
    return store;
  }

  async put(id: string, data: Buffer): Promise<void> {
    await this.#send('PutObject', () =>
      this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: this.#keyOf(id), Body: data, ContentType: 'application/octet-stream' })),
    );
  }

  async get(id: string): Promise<Buffer | null> {
    return this.#sendOrMissing('GetObject', async () => {
      const object = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#keyOf(id) }));
      if (!object.Body) throw new Error('the answer has no body');
      return Buffer.from(await object.Body.transformToByteArray());
    });
  }

  async delete(id: string): Promise<boolean> {
    return this.deleteEntry(`${id}.bin`);
  }

  async deleteEntry(name: string): Promise<boolean> {
    const key = this.#prefix + name;
    // DeleteObject answers alike whether or not the object existed; HeadObject tells which.
    const existed = await this.#sendOrMissing('HeadObject', () => this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key })));
    await this.#send('DeleteObject', () => this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key })));
    return existed !== null;
  }

  async list(): Promise<BlobEntry[]> {
    const entries: BlobEntry[] = [];
    let token: string | undefined;
    do {
      const page = await this.#send('ListObjectsV2', () =>
        this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: this.#prefix, ContinuationToken: token })),
      );
      for (const object of page.Contents ?? []) {
        const name = object.Key?.slice(this.#prefix.length) ?? '';
        const id = OBJECT.exec(name)?.[1];
        if (!id || !EVIDENCE_ID_PATTERN.test(id) || name.includes('/')) continue;
        entries.push({ name, id, partial: false, modifiedAt: object.LastModified?.getTime() ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return entries;
  }

  /** Closes the client's connections. */
  close(): void {
    this.#client.destroy();
  }

  #keyOf(id: string): string {
    return `${this.#prefix}${id}.bin`;
  }

  async #send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new EvidenceError('STORE_UNAVAILABLE', `evidence store ${this.location}: ${operation} failed (${describeFailure(error)})`, 503, { cause: error });
    }
  }

  /** Like #send, but a 404 answer (no such object) is null. */
  async #sendOrMissing<T>(operation: string, call: () => Promise<T>): Promise<T | null> {
    try {
      return await call();
    } catch (error) {
      if (httpStatusOf(error) === 404) return null;
      throw new EvidenceError('STORE_UNAVAILABLE', `evidence store ${this.location}: ${operation} failed (${describeFailure(error)})`, 503, { cause: error });
    }
  }
}

/** The HTTP status of an S3 answer, or undefined when there was none (no connection, a time-out). */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('$metadata' in error)) return undefined;
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
  return typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

/** "HTTP 403 AccessDenied" or the network error; never a credential (the SDK's messages name none). */
function describeFailure(error: unknown): string {
  const status = httpStatusOf(error);
  const name = error instanceof Error ? error.name : 'Error';
  if (status !== undefined) return `HTTP ${status} ${name}`;
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  return `${code || name}: ${error instanceof Error ? error.message : String(error)}`;
}
