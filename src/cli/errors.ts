/**
 * Errors the command line turns into exit code 2 (light: no zod, so `main` can catch them
 * without loading a command's dependencies). Both are FaregateErrors (src/errors): USAGE (FG-601)
 * and BAD_ARGUMENT (FG-602).
 */
import { FaregateError } from '../errors/faregateError.ts';
import type { ErrorCode } from '../errors/errorCodes.ts';

/** Unusable arguments or files: one line on stderr, exit code 2. */
export class UsageError extends FaregateError {
  override readonly name: string = 'UsageError';
  constructor(message: string, code: ErrorCode = 'USAGE', options?: { cause?: unknown }) {
    super(code, message, options);
  }
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
    super(`${path}: ${detail}`, 'BAD_ARGUMENT');
  }
}
