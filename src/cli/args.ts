/**
 * Reads argv against a command's declared options (src/cli/spec/): unknown options, missing
 * values, repeated options, missing required options and values outside `choices` become one
 * ArgumentError in words. Values are strings/booleans as parseArgs gives them; the command's zod
 * schema checks what they mean.
 */
import { parseArgs } from 'node:util';
import { ArgumentError } from './errors.ts';
import type { CommandSpec, OptionSpec } from './spec/types.ts';
import { errorMessage } from '../errors/faregateError.ts';

/**
 * A number given on the command line: decimal digits, optionally with a fraction. Stricter than
 * `Number()`, which takes "" as 0 and " 0x3e8" as 1000 without a word.
 */
export const NUMBER_ARG = /^\d+(\.\d+)?$/;

export type RawValues = Record<string, string | boolean | string[] | undefined>;

/** The option as a person types it: `--trust FILE`. */
export function optionUsage(name: string, o: OptionSpec): string {
  return o.type === 'boolean' ? `--${name}` : `--${name} ${o.value ?? 'VALUE'}`;
}

function closest(word: string, candidates: string[]): string | undefined {
  const dist = (a: string, b: string): number => {
    const d = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = d[0]!;
      d[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const cur = d[j]!;
        d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = cur;
      }
    }
    return d[b.length]!;
  };
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const x = dist(word, c);
    if (x < bestD) [best, bestD] = [c, x];
  }
  return best;
}

/** A name close to `word` among `candidates` (two edits at most), for "did you mean" hints. */
export function didYouMean(word: string, candidates: string[]): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : `; did you mean ${c}?`;
}

export function readArgs(
  spec: CommandSpec,
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): { values: RawValues; positionals: string[] } {
  const fail = (detail: string): never => {
    throw new ArgumentError(spec.path, detail);
  };
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(spec.options)) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  let tokens;
  try {
    tokens = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true }).tokens;
  } catch (e) {
    return fail(errorMessage(e).split('\n')[0]!);
  }
  const values: RawValues = {};
  const positionals: string[] = [];
  const known = Object.keys(spec.options).map((n) => `--${n}`);
  for (const t of tokens) {
    if (t.kind === 'option-terminator') continue;
    if (t.kind === 'positional') {
      if (!spec.positionals)
        fail(
          `unexpected argument ${JSON.stringify(t.value)}${t.value.startsWith('-') ? '' : ' (options start with --)'}`,
        );
      positionals.push(t.value);
      continue;
    }
    const o = spec.options[t.name];
    if (!o) return fail(`unknown option ${t.rawName}${didYouMean(t.rawName, known)}`);
    const flag = optionUsage(t.name, o);
    if (o.type === 'boolean') {
      if (t.value !== undefined) fail(`--${t.name} takes no value (got ${JSON.stringify(t.value)})`);
      values[t.name] = true;
      continue;
    }
    if (t.value === undefined) fail(`${flag}: the value is missing (${o.help})`);
    if (!t.inlineValue && t.value!.startsWith('--'))
      fail(`${flag}: the value is missing before ${t.value} (${o.help})`);
    const v = t.value!;
    if (o.choices && !o.choices.includes(v)) fail(`--${t.name} must be ${orList(o.choices)}, not ${JSON.stringify(v)}`);
    if (o.multiple) {
      const list = values[t.name];
      values[t.name] = Array.isArray(list) ? [...list, v] : [v];
    } else if (values[t.name] !== undefined) fail(`--${t.name} is given more than once`);
    else values[t.name] = v;
  }
  // Every missing option at once (the first wrong token above stops there: what follows it may be misread).
  const missing: string[] = [];
  for (const [name, o] of Object.entries(spec.options)) {
    if (values[name] !== undefined) continue;
    const fromEnv = o.env !== undefined ? env[o.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') values[name] = fromEnv;
    else if (o.default !== undefined) values[name] = o.default;
    else if (o.type === 'boolean') values[name] = false;
    else if (o.required) missing.push(`missing --${name}${o.env ? ` and ${o.env} is not set` : ''} (${o.help})`);
  }
  if (missing.length) fail(missing.join('; '));
  return { values, positionals };
}

export function orList(xs: readonly string[]): string {
  return xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} or ${xs.at(-1)}`;
}
