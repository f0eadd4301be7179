/**
 * Splits a byte stream into lines on LF, keeping any CR for the frame clean-up to remove.
 * A line longer than `maxLine` characters is not kept in memory: it is reported as overlong
 * (so it still gets its one answer) and the rest of it is skipped up to the next LF.
 */
import { StringDecoder } from 'node:string_decoder';

export type Line = { text: string; overlong: false } | { text: ''; overlong: true };

export async function* readLines(input: AsyncIterable<Buffer | string>, maxLine = 64 * 1024): AsyncGenerator<Line> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let overlong = false;
  const take = function* (chunk: string): Generator<Line> {
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
      if (nl < 0) return;
      yield overlong ? { text: '', overlong: true } : { text: pending, overlong: false };
      pending = '';
      overlong = false;
      start = nl + 1;
    }
  };
  for await (const chunk of input) yield* take(typeof chunk === 'string' ? chunk : decoder.write(chunk));
  yield* take(decoder.end());
  if (overlong) yield { text: '', overlong: true };
  else if (pending.length > 0) yield { text: pending, overlong: false };
}
