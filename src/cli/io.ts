/** The command line's platform: streams are injected so commands run in tests unchanged. */
import { once } from 'node:events';

export interface CliIo {
  stdin: AsyncIterable<Buffer | string>;
  /**
   * Writes `line` and a LF; waits while the output is full. Rejects with OutputClosedError once
   * the reader has gone (EPIPE: `faregate verify … | head -1`).
   */
  writeLine(line: string): Promise<void>;
  error(line: string): void;
}

/** Standard output can no longer be written: whoever read it has closed it. */
export class OutputClosedError extends Error {
  constructor(readonly code: string | undefined) {
    super(`standard output was closed${code ? ` (${code})` : ''}`);
    this.name = 'OutputClosedError';
  }
}

export function processIo(): CliIo {
  const stdout = process.stdout;
  let closed: OutputClosedError | undefined;
  // Without a listener a write to a closed pipe is an uncaught 'error' event: a crash with a stack trace.
  stdout.on('error', (e: NodeJS.ErrnoException) => {
    closed ??= new OutputClosedError(e.code);
  });
  return {
    stdin: process.stdin,
    async writeLine(line) {
      if (closed) throw closed;
      if (stdout.destroyed) throw (closed = new OutputClosedError(undefined));
      if (stdout.write(line + '\n')) return;
      // Wait for room, or for the end: a pipe can also close without an 'error' ('drain' never comes).
      const stop = new AbortController();
      try {
        await Promise.race([once(stdout, 'drain', { signal: stop.signal }), once(stdout, 'close', { signal: stop.signal })]);
      } catch (e) {
        throw (closed ??= new OutputClosedError((e as NodeJS.ErrnoException).code));
      } finally {
        stop.abort();
      }
      if (closed) throw closed;
      if (stdout.destroyed) throw (closed = new OutputClosedError(undefined));
    },
    error(line) {
      process.stderr.write(line + '\n');
    },
  };
}
