import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseBenchArgs, usageOf, type BenchArgs } from '../../bench/cli.js';

// A bench's command line (bench/cli.ts): options come from the zod schema, booleans are flags.
const schema = z.object({
  pairs: z.coerce.number().int().min(1).max(64).default(8),
  moderation: z.boolean().default(false),
  camera: z
    .string()
    .regex(/^\d+x\d+$/)
    .optional(),
});

describe('parseBenchArgs', () => {
  it.each<[string, string[], BenchArgs<z.infer<typeof schema>>]>([
    ['no arguments: the defaults', [], { kind: 'ok', values: { pairs: 8, moderation: false } }],
    ['a value', ['--pairs', '4'], { kind: 'ok', values: { pairs: 4, moderation: false } }],
    ['a value after =', ['--pairs=16'], { kind: 'ok', values: { pairs: 16, moderation: false } }],
    ['a flag', ['--moderation'], { kind: 'ok', values: { pairs: 8, moderation: true } }],
    ['an optional value', ['--camera', '320x240'], { kind: 'ok', values: { pairs: 8, moderation: false, camera: '320x240' } }],
    ['--help', ['--help'], { kind: 'help' }],
    ['-h, with other options', ['--pairs', '4', '-h'], { kind: 'help' }],
    ['--help wins over a bad value', ['--pairs', 'many', '--help'], { kind: 'help' }],
    ['an unknown option', ['--bogus'], { kind: 'error', problems: ["Unknown option '--bogus'"] }],
    ['a positional argument', ['8'], { kind: 'error', problems: ["Unexpected argument '8'"] }],
    ['a value missing', ['--pairs'], { kind: 'error', problems: ["Option '--pairs <value>' argument missing"] }],
    ['a value given to a flag', ['--moderation=yes'], { kind: 'error', problems: ["Option '--moderation' does not take an argument"] }],
    ['a value out of range', ['--pairs', '0'], { kind: 'error', problems: ['--pairs: Number must be greater than or equal to 1'] }],
    ['two bad values', ['--pairs', 'x', '--camera', 'big'], { kind: 'error', problems: ['--pairs: Expected number, received nan', '--camera: Invalid'] }],
  ])('%s', (_, argv, expected) => {
    expect(parseBenchArgs(argv, schema)).toEqual(expected);
  });
});

// The usage line comes from the same schema, so it cannot list an option the bench does not take.
describe('usageOf', () => {
  it.each<[string, z.AnyZodObject, number, string]>([
    ['no options', z.object({}), 100, ''],
    ['defaults, a flag and an optional value', schema, 100, '[--pairs 8] [--moderation] [--camera <value>]'],
    [
      'a default given before a transform',
      z.object({
        ptimes: z
          .string()
          .default('20,40')
          .transform((v) => v.split(',')),
      }),
      100,
      '[--ptimes 20,40]',
    ],
    ['a required value', z.object({ file: z.string() }), 100, '--file <value>'],
    ['wrapped before the width', schema, 30, '[--pairs 8] [--moderation]\n  [--camera <value>]'],
  ])('%s', (_, shape, width, expected) => {
    expect(usageOf(shape, width)).toBe(expected);
  });
});
