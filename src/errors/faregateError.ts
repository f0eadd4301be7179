/**
 * The one error class: every error faregate raises on purpose carries a stable numbered code
 * (src/errors/errorCodes.ts). Area-specific errors subclass it only to carry data (a list of
 * problems, a command path), never to invent a second error model.
 */
import { ERROR_CODES, errorTag, type ErrorArea, type ErrorCode } from './errorCodes.ts';

export class FaregateError extends Error {
  override name = 'FaregateError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  get number(): number {
    return ERROR_CODES[this.code].number;
  }
  get area(): ErrorArea {
    return ERROR_CODES[this.code].area;
  }
  /** `FG-203`. */
  get tag(): string {
    return errorTag(this.code);
  }
  /** The command line's exit code when this error ends a command. */
  get exitCode(): 1 | 2 | 3 {
    return ERROR_CODES[this.code].exit;
  }
}

export function isFaregateError(e: unknown, code?: ErrorCode): e is FaregateError {
  return e instanceof FaregateError && (code === undefined || e.code === code);
}

/** The message of anything thrown (an Error, a string, anything else), for logs and one-line answers. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === 'string' ? e : String(e);
}

/** Log fields for a caught error: `{ err, code? }` (the code when it is one of ours). */
export function errorFields(e: unknown): { err: string; code?: string } {
  return e instanceof FaregateError ? { err: e.message, code: e.tag } : { err: errorMessage(e) };
}

/** The system's error code of a caught error (`ENOENT`, `EPIPE`, `SQLITE_CANTOPEN`), if it has one. */
export function systemErrorCode(e: unknown): string | undefined {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
