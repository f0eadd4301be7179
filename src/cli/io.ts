/** The command line's platform: streams are injected so commands run in tests unchanged. */
import { once } from 'node:events';

export interface CliIo {
  stdin: AsyncIterable<Buffer | string>;
  writeLine(line: string): Promise<void>;
  error(line: string): void;
}

export function processIo(): CliIo {
  return {
    stdin: process.stdin,
    async writeLine(line) {
      if (!process.stdout.write(line + '\n')) await once(process.stdout, 'drain');
    },
    error(line) {
      process.stderr.write(line + '\n');
    },
  };
}
