/**
 * `faregate help` and `--version` must start fast: the compiled main.js, followed through its
 * static imports, reaches no command module, no zod, no SQLite, no crypto (commands are
 * imported on demand); `verify`'s own closure has no package but Node's. The speed itself is
 * measured by the benchmark, not here.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.ts';

const STATIC_IMPORT = /^\s*(?:import|export)\s+(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;

function staticClosure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else packages.add(spec);
    }
  };
  visit(entry);
  return { files, packages };
}

describe('the command line start', () => {
  it('main.js statically imports no command module and nothing heavy', () => {
    const { files, packages } = staticClosure(join(REPO_ROOT, 'dist/src/cli/main.js'));
    const rel = [...files].map((f) => f.slice(REPO_ROOT.length));
    expect(rel).toContain('dist/src/cli/help.js');
    expect(rel.filter((f) => f.includes('/cli/commands/'))).toEqual([]);
    expect(
      [...packages].filter((p) => !['node:fs', 'node:path', 'node:url', 'node:util', 'node:events'].includes(p)),
    ).toEqual([]);
  });

  it('the bin imports nothing before it knows the command (--version reads only package.json)', () => {
    const { files, packages } = staticClosure(join(REPO_ROOT, 'dist/src/cli/faregate.js'));
    expect([...files].map((f) => f.slice(REPO_ROOT.length))).toEqual(['dist/src/cli/faregate.js']);
    expect([...packages]).toEqual([]);
  });

  it('verify starts without zod (its import is ~0.1 s of a run users time): lists are checked by hand first', () => {
    const { packages } = staticClosure(join(REPO_ROOT, 'dist/src/cli/commands/verify.js'));
    expect([...packages].filter((p) => !p.startsWith('node:'))).toEqual([]);
  });
});
