import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Evidence ids are UUIDs; checking the form keeps any id from reaching the file system as a path. */
export const EVIDENCE_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const FILE = /^([0-9a-f-]{36})\.bin$/;
const TEMP = /^\.([0-9a-f-]{36})\.[0-9a-f]+\.tmp$/;

/** A file found in the evidence folder: a finished item file or a leftover temporary one. */
export interface EvidenceDirEntry {
  name: string;
  id: string;
  temporary: boolean;
  modifiedAt: number;
}

/**
 * The evidence folder: one `<id>.bin` per item, mode 0600, written atomically (temporary file,
 * fsync, rename, fsync of the folder) so a reader never sees half a file.
 */
export class EvidenceFiles {
  readonly #dir: string;

  private constructor(dir: string) {
    this.#dir = dir;
  }

  /** Creates the folder (mode 0700) if needed. */
  static async create(dir: string): Promise<EvidenceFiles> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return new EvidenceFiles(dir);
  }

  pathOf(id: string): string {
    return join(this.#dir, `${id}.bin`);
  }

  async write(id: string, data: Buffer): Promise<void> {
    const temp = join(this.#dir, `.${id}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.pathOf(id));
    } catch (error) {
      // Best effort: the original error is what matters, and the sweeper removes stale temporaries.
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    await this.#syncDir();
  }

  /** The file's bytes, or null when there is no file. */
  async read(id: string): Promise<Buffer | null> {
    try {
      return await readFile(this.pathOf(id));
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** Removes a file by name inside the folder; false when it was already gone. */
  async removeName(name: string): Promise<boolean> {
    try {
      await unlink(join(this.#dir, name));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async remove(id: string): Promise<boolean> {
    return this.removeName(`${id}.bin`);
  }

  /** Every item or temporary file in the folder; other names are ignored. */
  async scan(): Promise<EvidenceDirEntry[]> {
    const entries: EvidenceDirEntry[] = [];
    for (const name of await readdir(this.#dir)) {
      const match = FILE.exec(name) ?? TEMP.exec(name);
      const id = match?.[1];
      if (!id || !EVIDENCE_ID_PATTERN.test(id)) continue;
      try {
        const info = await stat(join(this.#dir, name));
        entries.push({ name, id, temporary: name.endsWith('.tmp'), modifiedAt: info.mtimeMs });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return entries;
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

function isNotFound(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}
