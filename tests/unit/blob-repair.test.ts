import { describe, expect, it } from 'vitest';
import { blobRepair, type BlobRepair } from '../../src/evidence/blob-repair.js';

const HERE = 'folder:1b0d1c3e-0000-4000-8000-000000000001';
const OTHER = 'folder:1b0d1c3e-0000-4000-8000-000000000002';
const BUCKET = 's3:veil-evidence/evidence/';

describe('blobRepair: what the sweep does about an indexed item', () => {
  it.each<[string, string | undefined, boolean, string, BlobRepair]>([
    ['its blob is here, where the record says', HERE, true, HERE, 'keep'],
    ['its blob should be here and is not: the record goes', HERE, false, HERE, 'delete-record'],
    ["another node's folder holds it, absent here", OTHER, false, HERE, 'keep'],
    ["another node's folder holds it, a copy is here", OTHER, true, HERE, 'keep'],
    ['the shared bucket holds it and has it', BUCKET, true, BUCKET, 'keep'],
    ['the shared bucket should hold it and does not', BUCKET, false, BUCKET, 'delete-record'],
    ['a folder record seen from a node on the bucket', OTHER, false, BUCKET, 'keep'],
    ['a record of an earlier version whose file is here: adopted', undefined, true, HERE, 'adopt'],
    ['a record of an earlier version whose object is in the bucket: adopted', undefined, true, BUCKET, 'adopt'],
    ['a record of an earlier version with no file here: may be on another node, kept', undefined, false, HERE, 'keep'],
  ])('%s', (_case, location, blobHere, here, expected) => {
    expect(blobRepair({ location, blobHere }, here)).toBe(expected);
  });
});
