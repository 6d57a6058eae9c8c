/**
 * A list of known PDQ hashes with nearest-neighbour lookup by multi-index hashing (MIH).
 *
 * Scheme: the 256 bits are cut into 16 chunks of 16 bits (the hash's words). If two hashes
 * differ in d bits, by pigeonhole some chunk differs in at most ⌊d/16⌋ bits; so for the
 * product's d ≤ 31 every match shares a chunk with the query up to one flipped bit. Each chunk
 * has an inverted index (65,536 buckets, CSR arrays); a query probes, in each of the 16 chunks,
 * its own chunk value and the 16 one-bit neighbours (272 buckets), then checks the candidates'
 * full distances. For N uniformly spread entries that is about 272·N/65,536 candidates
 * (≈ 4,200 at N = 1M) instead of N; radius 0 (d ≤ 15) probes 16 buckets, radius 2 (d ≤ 47) 2,192,
 * and larger distances fall back to a linear scan. Memory: 32 bytes per hash plus 64 bytes per
 * hash of index (16 × Uint32 ids) plus 16 × 256 KiB of bucket offsets.
 */
import { readFile } from 'node:fs/promises';
import { hamming32At, packHash32 } from './hamming.js';
import { HASH_WORDS, formatHash, isHashHex, parseHash, type Hash256 } from './hash256.js';
import { MATCH_MAX_DISTANCE, shouldMatch } from './match-policy.js';
import type { PdqResult } from './pdq.js';

/** The nearest list entry found within the distance asked for. */
export interface HashListMatch {
  /** Position of the entry among the list's hashes (0-based, file order). */
  readonly index: number;
  /** 1-based line of the entry in the loaded text. */
  readonly line: number;
  readonly hash: string;
  readonly distance: number;
}

/** One rejected line of a hash-list file. */
export interface HashListProblem {
  readonly line: number;
  readonly reason: string;
}

/** Thrown when a hash-list text has malformed lines; lists every bad line (up to 20). */
export class HashListError extends Error {
  readonly code = 'PDQ_HASH_LIST_INVALID';
  constructor(
    readonly source: string,
    readonly problems: readonly HashListProblem[],
  ) {
    const shown = problems.slice(0, 20).map((p) => `line ${p.line}: ${p.reason}`);
    const more = problems.length > 20 ? `; and ${problems.length - 20} more` : '';
    super(`HashList | ${source} has ${problems.length} invalid line(s): ${shown.join('; ')}${more}`);
    this.name = 'HashListError';
  }
}

/** Largest radius probed through the index; above it a linear scan is cheaper. */
const MAX_PROBE_RADIUS = 2;
const BUCKETS = 1 << 16;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** An immutable, indexed list of PDQ hashes. */
export class HashList {
  /** Entry hashes packed as 8 × 32-bit words each (see `packHash32`). */
  private readonly packed: Uint32Array;
  private readonly lines: Uint32Array;
  /** Per chunk: bucket start offsets (65,537 each), concatenated. */
  private readonly offsets: Uint32Array;
  /** Per chunk: entry ids sorted by chunk value, N each, concatenated. */
  private readonly ids: Uint32Array;
  /** Query stamps for candidate de-duplication. */
  private readonly seen: Uint32Array;
  private epoch = 0;

  private constructor(words: Uint16Array, lines: Uint32Array) {
    this.packed = new Uint32Array(words.buffer, words.byteOffset, words.length / 2).slice();
    if (!LITTLE_ENDIAN) for (let i = 0; i < this.packed.length; i++) this.packed[i] = ((words[2 * i] ?? 0) | ((words[2 * i + 1] ?? 0) << 16)) >>> 0;
    this.lines = lines;
    const n = lines.length;
    this.offsets = new Uint32Array(HASH_WORDS * (BUCKETS + 1));
    this.ids = new Uint32Array(HASH_WORDS * n);
    this.seen = new Uint32Array(n);
    for (let c = 0; c < HASH_WORDS; c++) {
      const base = c * (BUCKETS + 1);
      for (let e = 0; e < n; e++) {
        const slot = base + (words[e * HASH_WORDS + c] ?? 0) + 1;
        this.offsets[slot] = (this.offsets[slot] ?? 0) + 1;
      }
      for (let b = 0; b < BUCKETS; b++) this.offsets[base + b + 1] = (this.offsets[base + b + 1] ?? 0) + (this.offsets[base + b] ?? 0);
      const fill = this.offsets.slice(base, base + BUCKETS);
      for (let e = 0; e < n; e++) {
        const bucket = words[e * HASH_WORDS + c] ?? 0;
        this.ids[c * n + (fill[bucket] ?? 0)] = e;
        fill[bucket] = (fill[bucket] ?? 0) + 1;
      }
    }
  }

  /**
   * Parses a list: one 64-hex-digit hash per line (case-insensitive; surrounding spaces and a
   * trailing `,quality,path` as printed by the photo hasher are allowed); blank lines and lines
   * starting with `#` are skipped. Throws `HashListError` naming every bad line.
   */
  static fromText(text: string, source = 'hash list'): HashList {
    const rows = text.split(/\r?\n/);
    let words = new Uint16Array(1024 * HASH_WORDS);
    let count = 0;
    const lineNumbers: number[] = [];
    const problems: HashListProblem[] = [];
    rows.forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const field = line.split(',', 1)[0]?.trim() ?? '';
      if (!isHashHex(field)) {
        problems.push({ line: i + 1, reason: field.length === 64 ? 'not hexadecimal' : `expected 64 hex digits, got ${field.length} characters` });
        return;
      }
      if ((count + 1) * HASH_WORDS > words.length) {
        const grown = new Uint16Array(words.length * 2);
        grown.set(words);
        words = grown;
      }
      for (let w = 0; w < HASH_WORDS; w++) {
        const start = (HASH_WORDS - 1 - w) * 4;
        words[count * HASH_WORDS + w] = Number.parseInt(field.slice(start, start + 4), 16);
      }
      count++;
      lineNumbers.push(i + 1);
    });
    if (problems.length > 0) throw new HashListError(source, problems);
    return new HashList(words.slice(0, count * HASH_WORDS), Uint32Array.from(lineNumbers));
  }

  /** Reads and parses a hash-list file (see `fromText`). */
  static async load(path: string): Promise<HashList> {
    return HashList.fromText(await readFile(path, 'utf8'), path);
  }

  /** Number of hashes in the list. */
  get size(): number {
    return this.lines.length;
  }

  /**
   * The entry nearest to `hash` within `maxDistance` bits (ties: the earliest in the file), or
   * null. Throws `TypeError` on a malformed hash or a distance outside 0..256.
   */
  match(hash: Hash256 | string, maxDistance: number = MATCH_MAX_DISTANCE): HashListMatch | null {
    const query = typeof hash === 'string' ? parseHash(hash) : hash;
    if (query.length !== HASH_WORDS) throw new TypeError('HashList.match() | expected a 16-word hash');
    if (!Number.isInteger(maxDistance) || maxDistance < 0 || maxDistance > 256) {
      throw new TypeError('HashList.match() | maxDistance must be an integer in 0..256');
    }
    const radius = Math.floor(maxDistance / HASH_WORDS);
    const best = radius > MAX_PROBE_RADIUS ? this.scan(query, maxDistance) : this.probe(query, maxDistance, radius);
    if (best === null) return null;
    const words = new Uint16Array(HASH_WORDS);
    for (let i = 0; i < 8; i++) {
      const word = this.packed[best.entry * 8 + i] ?? 0;
      words[2 * i] = word & 0xffff;
      words[2 * i + 1] = word >>> 16;
    }
    return { index: best.entry, line: this.lines[best.entry] ?? 0, hash: formatHash(words), distance: best.distance };
  }

  /**
   * Applies the product rule: null for hashes whose quality is below the matching floor,
   * otherwise `match(result.hash, maxDistance)`.
   */
  matchResult(result: PdqResult, maxDistance: number = MATCH_MAX_DISTANCE): HashListMatch | null {
    return shouldMatch(result.quality) ? this.match(result.hash, maxDistance) : null;
  }

  private scan(query: Hash256, maxDistance: number): Candidate | null {
    const q = packHash32(query);
    let best: Candidate | null = null;
    for (let e = 0; e < this.size; e++) best = better(best, e, hamming32At(this.packed, e * 8, q), maxDistance);
    return best;
  }

  private probe(query: Hash256, maxDistance: number, radius: number): Candidate | null {
    this.epoch = this.epoch === 0xffffffff ? 1 : this.epoch + 1;
    if (this.epoch === 1) this.seen.fill(0);
    const state: ProbeState = { query: packHash32(query), bestEntry: -1, bestDistance: maxDistance + 1 };
    for (let c = 0; c < HASH_WORDS; c++) {
      const value = query[c] ?? 0;
      this.visit(c, value, state);
      if (radius < 1) continue;
      for (let b1 = 0; b1 < 16; b1++) {
        const one = value ^ (1 << b1);
        this.visit(c, one, state);
        if (radius < 2) continue;
        for (let b2 = b1 + 1; b2 < 16; b2++) this.visit(c, one ^ (1 << b2), state);
      }
    }
    return state.bestEntry < 0 ? null : { entry: state.bestEntry, distance: state.bestDistance };
  }

  /** Checks the not-yet-seen entries of one bucket, keeping the nearest in `state`. */
  private visit(chunk: number, value: number, state: ProbeState): void {
    const n = this.size;
    const base = chunk * (BUCKETS + 1);
    const end = this.offsets[base + value + 1] ?? 0;
    for (let k = this.offsets[base + value] ?? 0; k < end; k++) {
      const e = this.ids[chunk * n + k] ?? 0;
      if (this.seen[e] === this.epoch) continue;
      this.seen[e] = this.epoch;
      const distance = hamming32At(this.packed, e * 8, state.query);
      if (distance < state.bestDistance || (distance === state.bestDistance && e < state.bestEntry)) {
        state.bestEntry = e;
        state.bestDistance = distance;
      }
    }
  }
}

/** Running best of one probe. */
interface ProbeState {
  readonly query: Uint32Array;
  bestEntry: number;
  bestDistance: number;
}

interface Candidate {
  readonly entry: number;
  readonly distance: number;
}

/** Keeps the closer candidate; on equal distance the earlier entry. */
function better(best: Candidate | null, entry: number, distance: number, maxDistance: number): Candidate | null {
  if (distance > maxDistance) return best;
  if (best === null || distance < best.distance || (distance === best.distance && entry < best.entry)) return { entry, distance };
  return best;
}
