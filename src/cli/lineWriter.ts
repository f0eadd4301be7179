/**
 * Collects output lines and writes them in one piece: `faregate verify` answers the lines of
 * one input chunk with a single write instead of one write (one syscall, ~35 µs on a pipe) per
 * line. The caller flushes before it waits for more input, so nothing is held back from a
 * producer that is waiting for an answer.
 */
import type { CliIo } from './io.ts';

export class LineBatchWriter {
  private lines: string[] = [];

  constructor(private readonly io: Pick<CliIo, 'writeLine'>) {}

  push(line: string): void {
    this.lines.push(line);
  }

  get pending(): number {
    return this.lines.length;
  }

  /** Writes every collected line (in order, each ending in LF) with one writeLine call. */
  async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    const text = this.lines.join('\n');
    this.lines = [];
    await this.io.writeLine(text);
  }
}
