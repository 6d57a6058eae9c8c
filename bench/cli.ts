/**
 * The command line of a bench: `--name value` options checked by one zod object schema, `--flag`
 * for its booleans, and `--help`. `parseBenchArgs` is the pure decision (tested as a table);
 * `benchArgs` prints and exits the way every bench does: usage on stdout with status 0 for
 * `--help`, the problems and the usage on stderr with status 2 for anything else that is wrong.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';

export type BenchArgs<T> = { kind: 'ok'; values: T } | { kind: 'help' } | { kind: 'error'; problems: string[] };

function isBoolean(field: z.ZodTypeAny): boolean {
  if (field instanceof z.ZodDefault || field instanceof z.ZodOptional) return isBoolean(field._def.innerType as z.ZodTypeAny);
  return field instanceof z.ZodBoolean;
}

export function parseBenchArgs<S extends z.ZodRawShape>(argv: string[], schema: z.ZodObject<S>): BenchArgs<z.infer<z.ZodObject<S>>> {
  const options = Object.fromEntries(
    Object.entries(schema.shape).map(([name, field]) => [name, { type: isBoolean(field) ? ('boolean' as const) : ('string' as const) }]),
  );
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
  } catch (error) {
    return { kind: 'error', problems: [(error as Error).message.split('. ')[0] ?? String(error)] };
  }
  if (values['help'] === true) return { kind: 'help' };
  delete values['help'];
  const parsed = schema.safeParse(values);
  if (!parsed.success) return { kind: 'error', problems: parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`) };
  return { kind: 'ok', values: parsed.data };
}

/** Parses `process.argv`, or prints and exits: `name` as in `npm run <name>`, `usage` its options. */
export function benchArgs<S extends z.ZodRawShape>(name: string, usage: string, schema: z.ZodObject<S>): z.infer<z.ZodObject<S>> {
  const text = usage === '' ? `usage: npm run ${name} (it takes no options)\n` : `usage: npm run ${name} -- ${usage}\n`;
  const result = parseBenchArgs(process.argv.slice(2), schema);
  switch (result.kind) {
    case 'ok':
      return result.values;
    case 'help':
      process.stdout.write(text);
      return process.exit(0);
    case 'error':
      process.stderr.write(`${name}: bad arguments\n  ${result.problems.join('\n  ')}\n${text}`);
      return process.exit(2);
  }
}

/** For a bench without options: `--help` says so, anything else is refused before the run starts. */
export function noBenchArgs(name: string): void {
  benchArgs(name, '', z.object({}));
}
