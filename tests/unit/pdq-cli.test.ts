import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runPdqCli } from '../../src/tools/pdq-cli.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/pdq/${name}`, import.meta.url));

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runPdqCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('pdq-cli', () => {
  it('prints <hash>,<quality>,<path> per image, in argument order', async () => {
    const a = fixture('pattern-97x61.png');
    const b = fixture('soft-160x120.png');
    expect(await run([a, b])).toEqual({
      code: 0,
      out: [
        `3cf23ca3c32caaabc30d8bebc33cea2b3cf2aaab3cd535d4c30dd554c35c8021,100,${a}`,
        `5f0020fbff0000fbefca00ffff0000ffff0000ffff0000ff00ffff0000ffff00,12,${b}`,
      ],
      err: [],
    });
  });

  it('names an unreadable file on stderr, still hashes the others, and exits 1', async () => {
    const good = fixture('pattern-64x64.png');
    const missing = fixture('no-such-image.png');
    const notImage = fileURLToPath(import.meta.url);
    const result = await run([missing, good, notImage]);
    expect(result.code).toBe(1);
    expect(result.out).toEqual([`3d4a3a0bc2b2aaabd555d554774dd5543f4dd5143d4f3c1ec2f18094d7c08a95,100,${good}`]);
    expect(result.err).toHaveLength(2);
    expect(result.err[0]).toContain(missing);
    expect(result.err[1]).toContain(notImage);
  });

  it('prints usage and exits 2 without files', async () => {
    const result = await run([]);
    expect(result.code).toBe(2);
    expect(result.err[0]).toMatch(/^usage:/);
  });
});
