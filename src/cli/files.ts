/** File helpers for the CLI: readable errors, and private material written with mode 0600. */
import { chmodSync, existsSync, linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from './errors.ts';
import { errorMessage, systemErrorCode } from '../errors/faregateError.ts';

export function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`${what} ${path}: ${systemErrorCode(e) === 'ENOENT' ? 'no such file' : errorMessage(e)}`);
  }
}

export function readJson(path: string, what: string): unknown {
  const text = readText(path, what);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} ${path}: not valid JSON (${errorMessage(e)})`);
  }
}

/** Writes a file only its owner can read (private keys). */
export function writePrivate(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}

export function writePublic(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o644 });
}

/**
 * Writes a whole file or nothing: the content goes to a temporary file in the same folder
 * (with its final mode), then takes the name in one step. Without `replace`, an existing file
 * is kept and a UsageError names it (the name is taken with link(2), which fails if it exists,
 * so a file that appears meanwhile is not replaced either).
 */
export function writeWhole(
  path: string,
  content: string,
  opts: { mode: 0o600 | 0o644; replace: boolean; what: string },
): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    writeFileSync(tmp, content, { mode: opts.mode, flag: 'wx' });
    chmodSync(tmp, opts.mode);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UsageError(`${opts.what} ${path}: cannot write (${systemErrorCode(e) ?? errorMessage(e)})`);
  }
  try {
    if (opts.replace) renameSync(tmp, path);
    else linkSync(tmp, path);
  } catch (e) {
    const code = systemErrorCode(e);
    throw new UsageError(
      code === 'EEXIST'
        ? refuseMessage(opts.what, path)
        : `${opts.what} ${path}: cannot write (${code ?? errorMessage(e)})`,
    );
  } finally {
    rmSync(tmp, { force: true });
  }
}

export function refuseMessage(what: string, path: string): string {
  return `${what} ${path} already exists; not replacing it (give --force to replace it)`;
}

/** Refuses up front when a file exists and may not be replaced (before anything is written). */
export function refuseExisting(path: string, what: string): void {
  if (existsSync(path)) throw new UsageError(refuseMessage(what, path));
}
