import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EVIDENCE_ID_PATTERN, type BlobEntry, type BlobStore } from './blob-store.js';

const FILE = /^([0-9a-f-]{36})\.bin$/;
const TEMP = /^\.([0-9a-f-]{36})\.[0-9a-f]+\.tmp$/;
/** Beside the folder, naming it (not the node): the location recorded with each item written there. */
const FOLDER_ID_SUFFIX = '.folder-id';

/**
 * The evidence folder, the single-node default: one `<id>.bin` per item, mode 0600, written
 * atomically (temporary file, fsync, rename, fsync of the folder) so a reader never sees half a
 * file. The layout is the one of earlier versions, so their folders keep working; the folder's id
 * (a UUID in `<dir>.folder-id` beside it, generated on first start) is what the location names.
 */
export class LocalBlobStore implements BlobStore {
  readonly location: string;
  readonly #dir: string;

  private constructor(dir: string, folderId: string) {
    this.#dir = dir;
    this.location = `folder:${folderId}`;
  }

  /** Creates the folder (mode 0700) and its id if needed. */
  static async create(dir: string): Promise<LocalBlobStore> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return new LocalBlobStore(dir, await folderId(`${dir}${FOLDER_ID_SUFFIX}`));
  }

  async put(id: string, data: Buffer): Promise<void> {
    const temp = join(this.#dir, `.${id}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.#pathOf(id));
    } catch (error) {
      // Best effort: the original error is what matters, and the sweeper removes stale temporaries.
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    await this.#syncDir();
  }

  async get(id: string): Promise<Buffer | null> {
    try {
      return await readFile(this.#pathOf(id));
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async delete(id: string): Promise<boolean> {
    return this.deleteEntry(`${id}.bin`);
  }

  async deleteEntry(name: string): Promise<boolean> {
    try {
      await unlink(join(this.#dir, name));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async list(): Promise<BlobEntry[]> {
    const entries: BlobEntry[] = [];
    for (const name of await readdir(this.#dir)) {
      const match = FILE.exec(name) ?? TEMP.exec(name);
      const id = match?.[1];
      if (!id || !EVIDENCE_ID_PATTERN.test(id)) continue;
      try {
        const info = await stat(join(this.#dir, name));
        entries.push({ name, id, partial: name.endsWith('.tmp'), modifiedAt: info.mtimeMs });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return entries;
  }

  #pathOf(id: string): string {
    return join(this.#dir, `${id}.bin`);
  }

  async #syncDir(): Promise<void> {
    const handle = await open(this.#dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

/** The folder's id: read from `file`, or generated there on first start (also for folders of earlier versions). */
async function folderId(file: string): Promise<string> {
  try {
    await writeFile(file, `${randomUUID()}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
  }
  const id = (await readFile(file, 'utf8')).trim();
  if (!EVIDENCE_ID_PATTERN.test(id)) throw new Error(`${file} is damaged (not a UUID): restore it, or delete it to give the folder a new id`);
  return id;
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}
