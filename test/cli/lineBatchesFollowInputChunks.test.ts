/**
 * Rules of readLineBatches (src/cli/lineReader.ts), which `faregate verify` answers one batch per
 * write: a batch holds exactly the lines that a chunk completes, a line split across chunks
 * (even inside a UTF-8 character) comes out whole and once, an overlong line is one marker, and
 * a last line without LF still counts.
 */
import { describe, expect, it } from 'vitest';
import { readLineBatches, readLines, type Line } from '../../src/cli/lineReader.ts';

async function* chunks(...parts: (string | Buffer)[]): AsyncGenerator<Buffer | string> {
  for (const p of parts) yield p;
}

async function batches(input: AsyncIterable<Buffer | string>, maxLine?: number): Promise<Line[][]> {
  const out: Line[][] = [];
  for await (const b of readLineBatches(input, maxLine)) out.push(b);
  return out;
}

const t = (text: string): Line => ({ text, overlong: false });

describe('readLineBatches', () => {
  it('gives one batch per chunk that completes lines, none for a chunk that completes none', async () => {
    expect(await batches(chunks('a\nb\nc', 'c\n', 'dd', 'd', '\ne\n'))).toEqual([
      [t('a'), t('b')],
      [t('cc')],
      [t('ddd'), t('e')],
    ]);
  });

  it('keeps CR for the frame clean-up and yields a last line that has no LF', async () => {
    expect(await batches(chunks('x\r\ny'))).toEqual([[t('x\r')], [t('y')]]);
  });

  it('decodes a UTF-8 character split across two chunks once', async () => {
    const bytes = Buffer.from('größe\n', 'utf8');
    const cut = bytes.indexOf(0xc3) + 1; // inside ö
    expect(await batches(chunks(bytes.subarray(0, cut), bytes.subarray(cut)))).toEqual([[t('größe')]]);
  });

  it('reports an overlong line once, across chunks, and goes on with the next line', async () => {
    expect(await batches(chunks('12345', '6789\nok\n', '123456789'), 8)).toEqual([
      [{ text: '', overlong: true }, t('ok')],
      [{ text: '', overlong: true }],
    ]);
  });

  it('and readLines gives the same lines one by one', async () => {
    const lines: Line[] = [];
    for await (const l of readLines(chunks('a\nb', '\n\nc'))) lines.push(l);
    expect(lines).toEqual([t('a'), t('b'), t(''), t('c')]);
  });
});
