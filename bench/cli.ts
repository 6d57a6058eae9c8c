/**
 * The command line of a bench: `--name value` options checked by one zod object schema, `--flag`
 * for its booleans, and `--help`. The schema is the only list of options: the usage line is made
 * from it, with each default. `parseBenchArgs` and `usageOf` are pure (tested as tables);
 * `benchArgs` prints and exits the way every bench does: usage on stdout with status 0 for
 * `--help`, the problems and the usage on stderr with status 2 for anything else that is wrong.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';

export type BenchArgs<T> = { kind: 'ok'; values: T } | { kind: 'help' } | { kind: 'error'; problems: string[] };

/** The schema under refinements and transforms: a default given before them is still found. */
function unrefined(field: z.ZodTypeAny): z.ZodTypeAny {
  return field instanceof z.ZodEffects ? unrefined(field.innerType() as z.ZodTypeAny) : field;
}

function isBoolean(field: z.ZodTypeAny): boolean {
  const inner = unrefined(field);
  if (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) return isBoolean(inner._def.innerType as z.ZodTypeAny);
  return inner instanceof z.ZodBoolean;
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

/** `[--name default]` for each option (`[--flag]` for a boolean), wrapped before `width` columns. */
export function usageOf(schema: z.AnyZodObject, width = 100): string {
  const parts = Object.entries(schema.shape as z.ZodRawShape).map(([name, field]) => {
    if (isBoolean(field)) return `[--${name}]`;
    const inner = unrefined(field);
    if (inner instanceof z.ZodDefault) return `[--${name} ${String(inner._def.defaultValue())}]`;
    return field.isOptional() ? `[--${name} <value>]` : `--${name} <value>`;
  });
  const lines: string[] = [];
  for (const part of parts) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + part.length <= width) lines[lines.length - 1] = `${last} ${part}`;
    else lines.push(part);
  }
  return lines.join('\n  ');
}

/** Parses `process.argv`, or prints and exits; `name` as in `npm run <name>`. */
export function benchArgs<S extends z.ZodRawShape>(name: string, schema: z.ZodObject<S>): z.infer<z.ZodObject<S>> {
  const usage = usageOf(schema);
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
  benchArgs(name, z.object({}));
}
