/**
 * What the sweep does about one indexed item, given where its record says the blob is and whether
 * this node's blob store has it:
 *
 * - `keep`: nothing to do; in particular a blob that this node cannot see (another node's folder)
 *   is never a reason to delete, since absence here proves nothing;
 * - `adopt`: a record from before locations were recorded whose blob is here: record this store
 *   as its location, so later sweeps can repair it;
 * - `delete-record`: the blob should be in this very store and is not (a crash between the two
 *   writes of a delete): the record goes, unless a legal hold keeps it.
 *
 * `location` is undefined for records written before locations were recorded. Without a blob here
 * such a record may belong to another node's folder, so it is kept until its deadline.
 */
export type BlobRepair = 'keep' | 'adopt' | 'delete-record';

export function blobRepair(item: { location: string | undefined; blobHere: boolean }, here: string): BlobRepair {
  if (item.location === undefined) return item.blobHere ? 'adopt' : 'keep';
  if (item.location !== here) return 'keep';
  return item.blobHere ? 'keep' : 'delete-record';
}
