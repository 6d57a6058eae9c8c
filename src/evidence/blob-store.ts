/** Evidence ids are UUIDs; checking the form keeps any id from reaching a path or an object key. */
export const EVIDENCE_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Something a blob store holds: a finished blob, or a partial write that a crash left behind. */
export interface BlobEntry {
  /** The store's own name for it (a file name, an object key); what `deleteEntry` takes. */
  name: string;
  id: string;
  /** A partial write (a local temporary file): never read, removed by the sweep once stale. */
  partial: boolean;
  modifiedAt: number;
}

/**
 * Where the ciphertext of evidence items lives, one blob per evidence id. A blob store only ever
 * sees what crypto.ts sealed: the image in clear never reaches it.
 */
export interface BlobStore {
  /**
   * Which storage this is, recorded with every item so that a node can tell whether an item's
   * blob is one it can see (`folder:<uuid>` for a local folder, `s3:<bucket>/<prefix>` for a
   * bucket). Every node that shares the storage reports the same location.
   */
  readonly location: string;
  /** Stores the blob of `id` whole (a reader never sees half of it). */
  put(id: string, data: Buffer): Promise<void>;
  /** The blob of `id`, or null when there is none. */
  get(id: string): Promise<Buffer | null>;
  /** Removes the blob of `id`; false when it was already gone. */
  delete(id: string): Promise<boolean>;
  /** Everything the store holds that belongs to an evidence id; other names are ignored. */
  list(): Promise<BlobEntry[]>;
  /** Removes an entry by the name `list` gave; false when it was already gone. */
  deleteEntry(name: string): Promise<boolean>;
}
