/** Rules of reading argv against a declaration (src/cli/args.ts), in-process. */
import { describe, expect, it } from 'vitest';
import { readArgs } from '../../src/cli/args.ts';
import { ArgumentError } from '../../src/cli/errors.ts';
import type { CommandSpec } from '../../src/cli/spec/types.ts';
import { errorMessage } from '../../src/errors/faregateError.ts';

const SPEC: CommandSpec = {
  path: 'demo',
  summary: 'a declaration for the rules',
  options: {
    config: { type: 'string', value: 'FILE', required: true, env: 'DEMO_CONFIG', short: 'c', help: 'settings' },
    mode: { type: 'string', value: 'a|b', choices: ['a', 'b'], default: 'a', help: 'which' },
    key: { type: 'string', value: 'FILE', multiple: true, help: 'keys' },
    json: { type: 'boolean', help: 'json' },
  },
};

const problem = (argv: string[], env: NodeJS.ProcessEnv = {}): string => {
  try {
    readArgs(SPEC, argv, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ArgumentError);
    return errorMessage(e);
  }
  throw new Error('no problem reported');
};

describe('readArgs', () => {
  it('applies defaults, false for absent booleans, and collects repeated options', () => {
    expect(readArgs(SPEC, ['-c', 'x.yaml', '--key', 'k1', '--key=k2'], {})).toEqual({
      values: { config: 'x.yaml', mode: 'a', key: ['k1', 'k2'], json: false },
      positionals: [],
    });
  });

  it('takes the environment variable only when the option is absent, and not when it is empty', () => {
    expect(readArgs(SPEC, [], { DEMO_CONFIG: 'env.yaml' }).values.config).toBe('env.yaml');
    expect(readArgs(SPEC, ['--config', 'arg.yaml'], { DEMO_CONFIG: 'env.yaml' }).values.config).toBe('arg.yaml');
    expect(problem([], { DEMO_CONFIG: '' })).toBe('demo: missing --config and DEMO_CONFIG is not set (settings)');
  });

  it('names the first wrong token', () => {
    expect(problem(['--config', 'x', '--mod', 'a'])).toBe('demo: unknown option --mod; did you mean --mode?');
    expect(problem(['--config', 'x', '--mode', 'c'])).toBe('demo: --mode must be a or b, not "c"');
    expect(problem(['--config', 'x', '--json=1'])).toBe('demo: --json takes no value (got "1")');
    expect(problem(['--config', 'x', 'extra'])).toBe('demo: unexpected argument "extra" (options start with --)');
    expect(problem(['--config', 'x', '--config', 'y'])).toBe('demo: --config is given more than once');
  });
});
