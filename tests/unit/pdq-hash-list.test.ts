import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hamming } from '../../src/safety/pdq/hamming.js';
import { formatHash, parseHash, setBit, type Hash256 } from '../../src/safety/pdq/hash256.js';
import { HashList, HashListError } from '../../src/safety/pdq/hash-list.js';
import { MIN_MATCH_QUALITY, shouldMatch } from '../../src/safety/pdq/match-policy.js';

/** Deterministic xorshift32 so failures reproduce. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function randomHash(next: () => number): Hash256 {
  return Uint16Array.from({ length: 16 }, () => next() & 0xffff);
}

/** `hash` with `count` distinct bits flipped, chosen by `next`. */
function flipBits(hash: Hash256, count: number, next: () => number): Hash256 {
  const out = Uint16Array.from(hash);
  const bits = Array.from({ length: 256 }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + (next() % (256 - i));
    [bits[i], bits[j]] = [bits[j] ?? 0, bits[i] ?? 0];
    const k = bits[i] ?? 0;
    out[k >> 4] = (out[k >> 4] ?? 0) ^ (1 << (k & 15));
  }
  return out;
}

const A = 'f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22';

describe('hash text form and hamming()', () => {
  it('uses the reference bit order: bit 0 is the last hex digit, bit 255 the first', () => {
    const words = new Uint16Array(16);
    setBit(words, 0);
    expect(formatHash(words)).toBe(`${'0'.repeat(63)}1`);
    setBit(words, 255);
    setBit(words, 17);
    expect(formatHash(words)).toBe(`8${'0'.repeat(55)}00020001`);
  });

  it('round-trips and accepts upper case', () => {
    expect(formatHash(parseHash(A.toUpperCase()))).toBe(A);
  });

  it.each(['', 'xyz', `${A}0`, A.replace('f', 'g')])('rejects %j', (text) => {
    expect(() => parseHash(text)).toThrow(TypeError);
  });

  it('counts differing bits', () => {
    const zero = parseHash('0'.repeat(64));
    expect(hamming(zero, zero)).toBe(0);
    expect(hamming(zero, parseHash('f'.repeat(64)))).toBe(256);
    expect(hamming(parseHash(A), parseHash(`${A.slice(0, 63)}3`))).toBe(1);
    expect(hamming(parseHash('0000000000000000000000000000000000000000000000000000000000000fff'), parseHash('0'.repeat(64)))).toBe(12);
  });
});

describe('shouldMatch()', () => {
  it.each([
    [0, false],
    [49, false],
    [MIN_MATCH_QUALITY, true],
    [100, true],
    [Number.NaN, false],
  ])('quality %d → %s', (quality, expected) => {
    expect(shouldMatch(quality)).toBe(expected);
  });
});

describe('HashList.match()', () => {
  const next = rng(12345);
  const entries = Array.from({ length: 2000 }, () => randomHash(next));
  const list = HashList.fromText(entries.map(formatHash).join('\n'));
  const target = entries[777] ?? new Uint16Array(16);

  it('finds an exact entry', () => {
    expect(list.match(target)).toEqual({ index: 777, line: 778, hash: formatHash(target), distance: 0 });
  });

  it('matches at distance 31 but not 32 (default threshold)', () => {
    for (let trial = 0; trial < 50; trial++) {
      expect(list.match(flipBits(target, 31, next))?.index).toBe(777);
      expect(list.match(flipBits(target, 32, next))).toBeNull();
    }
  });

  it('matches a query given as hex', () => {
    expect(list.match(formatHash(flipBits(target, 5, next)))?.distance).toBe(5);
  });

  it.each([0, 7, 15, 16, 31, 40, 47, 48, 70])('agrees with a linear scan at maxDistance %i', (maxDistance) => {
    for (let trial = 0; trial < 30; trial++) {
      const base = entries[next() % entries.length] ?? target;
      const query = flipBits(base, next() % (maxDistance + 2), next);
      let expected: { index: number; distance: number } | null = null;
      entries.forEach((e, index) => {
        const distance = hamming(e, query);
        if (distance <= maxDistance && (expected === null || distance < expected.distance)) expected = { index, distance };
      });
      const found = list.match(query, maxDistance);
      expect(found === null ? null : { index: found.index, distance: found.distance }).toEqual(expected);
    }
  });

  it('returns the nearest entry, the earliest on a tie', () => {
    const base = parseHash(A);
    const near = flipBits(base, 3, rng(1));
    const far = flipBits(base, 20, rng(2));
    const small = HashList.fromText([formatHash(far), formatHash(near), formatHash(near)].join('\n'));
    expect(small.match(base)).toMatchObject({ index: 1, line: 2, distance: 3 });
  });

  it('never matches a hash whose quality is below 50', () => {
    const hash = formatHash(target);
    expect(list.matchResult({ hash, quality: 49 })).toBeNull();
    expect(list.matchResult({ hash, quality: 50 })?.index).toBe(777);
  });

  it.each([-1, 257, 1.5, Number.NaN])('rejects maxDistance %d', (maxDistance) => {
    expect(() => list.match(target, maxDistance)).toThrow(TypeError);
  });

  it('an empty list matches nothing', () => {
    expect(HashList.fromText('# nothing yet\n\n').match(target)).toBeNull();
  });
});

describe('HashList loading', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pdq-list-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('skips blank lines and comments, accepts photo-hasher lines and CRLF', async () => {
    const path = join(dir, 'list.txt');
    await writeFile(path, `# operator list\r\n\r\n  ${A.toUpperCase()}  \r\n${'0'.repeat(63)}1,100,./photo.jpg\r\n`);
    const list = await HashList.load(path);
    expect(list.size).toBe(2);
    expect(list.match(A)).toMatchObject({ line: 3, distance: 0 });
  });

  it('rejects bad lines, naming every one with its line number', () => {
    const text = [A, 'not-a-hash', '', `${A}00`, A.replace(/.$/, 'z')].join('\n');
    let error: unknown;
    try {
      HashList.fromText(text, 'list.txt');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HashListError);
    const listError = error as HashListError;
    expect(listError.code).toBe('PDQ_HASH_LIST_INVALID');
    expect(listError.problems.map((p) => p.line)).toEqual([2, 4, 5]);
    expect(listError.message).toMatch(/list\.txt has 3 invalid line\(s\): line 2: .*line 4: .*line 5: not hexadecimal/);
  });

  it('rejects a missing file', async () => {
    await expect(HashList.load(join(dir, 'absent.txt'))).rejects.toThrow(/ENOENT/);
  });
});
