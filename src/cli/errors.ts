/**
 * Errors the command line turns into exit code 2 (light: no zod, so `main` can catch them
 * without loading a command's dependencies).
 */

/** Unusable arguments or files: one line on stderr, exit code 2. */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
}

/**
 * A missing, unknown or bad option of the command `path` (e.g. "keys generate"): one line on
 * stderr, then that command's usage, exit code 2.
 */
export class ArgumentError extends UsageError {
  override readonly name = 'ArgumentError';
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}
