/**
 * The folder of the installed faregate package (the one holding its package.json), found by
 * walking up from this module: the same answer from the TypeScript sources (src/…), from the
 * compiled tree (dist/src/…) and from a global install (…/node_modules/faregate/dist/src/…).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate) && (JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === 'faregate')
      return (cached = dir);
    const up = path.dirname(dir);
    if (up === dir)
      throw new Error('faregate: cannot find the package folder (no package.json named faregate above this module)');
    dir = up;
  }
}

/** A path inside the package folder, e.g. packagePath('config', 'dev') for the test-only demo files. */
export function packagePath(...parts: string[]): string {
  return path.join(packageRoot(), ...parts);
}

/** The package's version, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
}
