/** The command line's platform: streams are injected so commands run in tests unchanged. */
import { once } from 'node:events';
import { FaregateError, systemErrorCode } from '../errors/faregateError.ts';

export interface CliIo {
  stdin: AsyncIterable<Buffer | string>;
  /**
   * Writes `line` and a LF; waits while the output is full. Rejects with OutputClosedError once
   * the reader has gone (EPIPE: `faregate verify … | head -1`).
   */
  writeLine(line: string): Promise<void>;
  error(line: string): void;
}

/** Standard output can no longer be written: whoever read it has closed it (OUTPUT_CLOSED, FG-603). */
export class OutputClosedError extends FaregateError {
  override readonly name = 'OutputClosedError';
  /** The system's error code (`EPIPE`), when there was one. */
  readonly errno: string | undefined;
  constructor(errno: string | undefined) {
    super('OUTPUT_CLOSED', `standard output was closed${errno ? ` (${errno})` : ''}`);
    this.errno = errno;
  }
}

export function processIo(): CliIo {
  const stdout = process.stdout;
  let closed: OutputClosedError | undefined;
  // Without a listener a write to a closed pipe is an uncaught 'error' event: a crash with a stack trace.
  stdout.on('error', (e: NodeJS.ErrnoException) => {
    closed ??= new OutputClosedError(e.code);
  });
  /** Throws once the output is gone (the 'error' listener may have seen it meanwhile). */
  const throwIfClosed = (): void => {
    if (closed) throw closed;
    if (stdout.destroyed) {
      closed = new OutputClosedError(undefined);
      throw closed;
    }
  };
  return {
    stdin: process.stdin,
    async writeLine(line) {
      throwIfClosed();
      if (stdout.write(line + '\n')) return;
      // Wait for room, or for the end: a pipe can also close without an 'error' ('drain' never comes).
      const stop = new AbortController();
      try {
        await Promise.race([
          once(stdout, 'drain', { signal: stop.signal }),
          once(stdout, 'close', { signal: stop.signal }),
        ]);
      } catch (e) {
        closed ??= new OutputClosedError(systemErrorCode(e));
        throw closed;
      } finally {
        stop.abort();
      }
      throwIfClosed();
    },
    error(line) {
      process.stderr.write(line + '\n');
    },
  };
}
