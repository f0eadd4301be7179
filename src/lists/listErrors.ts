/**
 * The errors of list and key files (zod-free: `faregate verify` loads them without zod).
 * One class carries the file's code; key sets add the list of problems.
 */
import { FaregateError } from '../errors/faregateError.ts';

export type ListFileCode = 'LIST_FILE_INVALID' | 'KEY_SET_INVALID' | 'PRIVATE_KEY_IN_KEY_SET';

/** A trust, deny or key file that cannot be used; the message lists every problem. */
export class ListFileError extends FaregateError {
  override name = 'ListFileError';
  constructor(message: string, code: ListFileCode = 'LIST_FILE_INVALID', options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * A JWK Set that cannot be used (trust file, `lists.rootKeys`, `commands.operatorKeys`):
 * `PRIVATE_KEY_IN_KEY_SET` when one of its keys holds a private member, else `KEY_SET_INVALID`.
 */
export class KeySetError extends ListFileError {
  override name = 'KeySetError';
  constructor(
    readonly problems: readonly string[],
    readonly privateKey: boolean,
    prefix = '',
  ) {
    super(prefix + problems.join('; '), privateKey ? 'PRIVATE_KEY_IN_KEY_SET' : 'KEY_SET_INVALID');
  }

  /** The same problems with a prefix (the file's name, the setting's path). */
  withPrefix(prefix: string): KeySetError {
    return new KeySetError(this.problems, this.privateKey, prefix);
  }
}
