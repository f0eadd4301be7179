/**
 * `faregate help <command>` and `faregate <command> --help` (the real command) show every option
 * the command declares, with its default; the same declaration is what the parser accepts, so an
 * option missing from it is refused. `faregate help` lists every command and the exit codes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commandTable.ts';
import { EXIT_CODE_TABLE } from '../../src/cli/spec/exitCodes.ts';
import type { CommandSpec } from '../../src/cli/spec/types.ts';
import { REPO_ROOT, runFaregate } from '../support/cli.ts';

const specs: CommandSpec[] = COMMANDS.flatMap((e) => [
  ...(e.spec ? [e.spec] : []),
  ...Object.values(e.subcommands ?? {}),
]);

function optionsSection(help: string): string {
  const i = help.indexOf('\noptions:\n');
  expect(i, help).toBeGreaterThan(0);
  return help.slice(i);
}

describe('help lists every declared option', () => {
  it.each(specs.map((s) => [s.path, s] as const))('faregate help %s and --help', async (path, spec) => {
    const words = path.split(' ');
    const [viaHelp, viaFlag] = await Promise.all([runFaregate(['help', ...words]), runFaregate([...words, '--help'])]);
    for (const r of [viaHelp, viaFlag]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain(`faregate ${path}`);
      const opts = optionsSection(r.stdout);
      for (const [name, o] of Object.entries(spec.options)) {
        const line = opts.split('\n').find((l) => l.includes(`--${name} `) || l.trimEnd().endsWith(`--${name}`));
        expect(line, `--${name} in the help of ${path}`).toBeDefined();
        // The meaning follows on the same line or the wrapped ones below it.
        const from = opts.indexOf(line!);
        const block = opts.slice(from, from + 400).replace(/\s+/g, ' ');
        expect(block).toContain(o.help.split(' ').slice(0, 3).join(' '));
        if (o.default !== undefined) expect(block).toContain(`default: ${o.default}`);
        if (o.required) expect(block).toContain('required');
      }
      expect(opts).toContain('--help');
      expect(r.stdout.split('\n').filter((l) => l.length > 100)).toEqual([]);
    }
    // Help text for the whole command carries the synopsis with every option too.
    const usage = viaFlag.stdout.slice(
      viaFlag.stdout.indexOf('usage:'),
      viaFlag.stdout.indexOf('\n\n', viaFlag.stdout.indexOf('usage:')),
    );
    for (const name of Object.keys(spec.options)) expect(usage).toContain(`--${name}`);
  });

  it.each(specs.map((s) => [s.path] as const))('faregate %s refuses an option it does not declare', async (path) => {
    const r = await runFaregate([...path.split(' '), '--no-such-option']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(`faregate ${path}: unknown option --no-such-option`);
  });
});

describe('faregate help, --version', () => {
  it('lists every command and subcommand and the exit codes', async () => {
    const r = await runFaregate(['help']);
    expect(r.code).toBe(0);
    for (const s of specs) expect(r.stdout).toMatch(new RegExp(`^  ${s.path}\\s+\\S`, 'm'));
    const tail = r.stdout.slice(r.stdout.indexOf('exit codes:'));
    for (const [code, what] of EXIT_CODE_TABLE) expect(tail).toContain(`${code}  ${what}`);
    expect(
      r.stdout.split('\n').every((l) => l.length <= 100),
      'lines fit in 100 columns',
    ).toBe(true);
  });

  it('--version and -V print the package version alone', async () => {
    const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    for (const flag of ['--version', '-V']) {
      const r = await runFaregate([flag]);
      expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  it('with no arguments prints the help on stderr and exits 2', async () => {
    const r = await runFaregate([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('commands:');
    expect(r.stderr).toContain('exit codes:');
  });

  it('an unknown command is one line with a hint, exit 2', async () => {
    const r = await runFaregate(['verfy']);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: 'faregate: unknown command verfy; did you mean verify? (faregate help lists the commands)\n',
    });
  });
});
