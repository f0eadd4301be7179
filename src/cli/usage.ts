import { z } from 'zod';
import { formatIssues } from '../lists/issues.ts';
import { NUMBER_ARG, readArgs } from './args.ts';
import { ArgumentError, UsageError } from './errors.ts';
import type { CommandSpec } from './spec/types.ts';

export { ArgumentError, UsageError };

/** A number given on the command line (see NUMBER_ARG in args.ts). */
export const numberArg = z.string().regex(NUMBER_ARG, 'must be a number').transform(Number);

/**
 * Reads argv against the command's declaration (unknown, missing, repeated options, choices),
 * then checks what the values mean with a zod schema. Any problem: an ArgumentError (one line,
 * then the usage, exit 2).
 */
export function parseCommand<S extends z.ZodType>(
  spec: CommandSpec,
  argv: string[],
  schema: S,
): { values: z.infer<S>; positionals: string[] } {
  const { values, positionals } = readArgs(spec, argv);
  const r = schema.safeParse(values);
  if (!r.success)
    throw new ArgumentError(spec.path, formatIssues(r.error.issues).replace(/(^|; )([\w-]+):/g, '$1--$2:'));
  return { values: r.data, positionals };
}
