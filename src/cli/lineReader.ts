/**
 * Splits a byte stream into lines on LF, keeping any CR for the frame clean-up to remove.
 * A line longer than `maxLine` characters is not kept in memory: it is reported as overlong
 * (so it still gets its one answer) and the rest of it is skipped up to the next LF.
 *
 * `readLineBatches` hands over the lines that each input chunk completes, together, so that a
 * caller can answer a whole chunk with one write and still answer every chunk before it waits
 * for the next one (a producer that writes one line and waits gets its answer). `readLines` is
 * the same, line by line.
 */
import { StringDecoder } from 'node:string_decoder';

export type Line = { text: string; overlong: false } | { text: ''; overlong: true };

export async function* readLineBatches(
  input: AsyncIterable<Buffer | string>,
  maxLine = 64 * 1024,
): AsyncGenerator<Line[]> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let overlong = false;
  const take = (chunk: string, into: Line[]): Line[] => {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', start);
      const piece = nl < 0 ? chunk.slice(start) : chunk.slice(start, nl);
      if (!overlong) {
        pending += piece;
        if (pending.length > maxLine) {
          overlong = true;
          pending = '';
        }
      }
      if (nl < 0) return into;
      into.push(overlong ? { text: '', overlong: true } : { text: pending, overlong: false });
      pending = '';
      overlong = false;
      start = nl + 1;
    }
  };
  for await (const chunk of input) {
    const lines = take(typeof chunk === 'string' ? chunk : decoder.write(chunk), []);
    if (lines.length > 0) yield lines;
  }
  const last = take(decoder.end(), []);
  if (overlong) last.push({ text: '', overlong: true });
  else if (pending.length > 0) last.push({ text: pending, overlong: false });
  if (last.length > 0) yield last;
}

export async function* readLines(input: AsyncIterable<Buffer | string>, maxLine = 64 * 1024): AsyncGenerator<Line> {
  for await (const batch of readLineBatches(input, maxLine)) yield* batch;
}
