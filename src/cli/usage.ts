import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import { formatIssues } from '../lists/issues.ts';

/** Unusable arguments or files: one line on stderr, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * A number given on the command line: decimal digits, optionally with a fraction. Stricter than
 * `Number()`, which takes "" as 0 and " 0x3e8" as 1000 without a word.
 */
export const numberArg = z.string().regex(/^\d+(\.\d+)?$/, 'must be a number').transform(Number);

/** Parses argv with node:util, then validates the values with a zod schema. */
export function parseCommand<S extends z.ZodType>(
  command: string,
  argv: string[],
  options: Options,
  schema: S,
  allowPositionals = false,
): { values: z.infer<S>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message.replace(/\s*\n\s*/g, " ")}`);
  }
  const r = schema.safeParse(parsed.values);
  if (!r.success) throw new UsageError(`${command}: ${formatIssues(r.error.issues).replace(/(^|; )([\w-]+):/g, '$1--$2:')}`);
  return { values: r.data, positionals: parsed.positionals };
}
