import { describe, expect, it } from 'vitest';
import { Framer, FramingOptionsError } from '../../src/scanner/framer.ts';
import type { DropEnd, DropReason, FramingOptions, ScannerFrame } from '../../src/scanner/types.ts';

const CODE =
  'FG1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEXWK G2EP4J0BGJLFX3R3VHXK.PJ:2DPF6R:5SVBHABVCNN95SWMPHQUHQN%A0SOE+QQAB-HQ/HQ7IR.SQEEOK9SAI4- 7Y15KBPD34  QWSP0WRGTQFVRPQP7TEPG9C1*KNH5';

interface Out {
  frames: [ScannerFrame, number][];
  drops: [DropReason, number, DropEnd][];
}

function framer(options: Partial<FramingOptions> = {}): { f: Framer; out: Out } {
  const f = new Framer({
    suffix: 'auto',
    interByteTimeoutMs: 50,
    staleFrameMs: 1000,
    maxFrameLength: 1100,
    stripAim: true,
    ...options,
  });
  const out: Out = { frames: [], drops: [] };
  f.on('frame', (text, at) => out.frames.push([text, at]));
  f.on('dropped', (reason, length, endedBy) => out.drops.push([reason, length, endedBy]));
  return { f, out };
}

const texts = (out: Out): ScannerFrame[] => out.frames.map(([t]) => t);
const b = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('framer: suffix styles', () => {
  it('auto ends frames at CR, LF and CRLF, CRLF being one terminator', () => {
    const { f, out } = framer();
    f.push(b(`one\rtwo\nthree\r\nfour\r\n`), 1);
    expect(texts(out)).toEqual(['one', 'two', 'three', 'four']);
    expect(out.drops).toEqual([]);
  });

  it('auto treats a CRLF split across chunks as one terminator', () => {
    const { f, out } = framer();
    f.push(b(`${CODE}\r`), 1);
    f.push(b(`\n`), 2);
    f.push(b(`next\r`), 3);
    f.push(b(`\nlast\n`), 4);
    expect(out.frames).toEqual([
      [CODE, 1],
      ['next', 3],
      ['last', 4],
    ]);
    expect(out.drops).toEqual([]);
  });

  it('auto ignores lone terminators silently (empty frames)', () => {
    const { f, out } = framer();
    f.push(b('\r\r\n\n\r'), 1);
    f.push(b('x\n\n'), 2);
    expect(texts(out)).toEqual(['x']);
    expect(out.drops).toEqual([]);
  });

  it('cr only ends frames at CR; an LF is noise', () => {
    const { f, out } = framer({ suffix: 'cr' });
    f.push(b('one\rtwo\n'), 1);
    f.push(b('three\r'), 2);
    expect(texts(out)).toEqual(['one', 'three']);
    expect(out.drops).toEqual([['noise', 4, 'next_frame']]);
  });

  it('lf only ends frames at LF', () => {
    const { f, out } = framer({ suffix: 'lf' });
    f.push(b('one\ntwo\n'), 1);
    expect(texts(out)).toEqual(['one', 'two']);
  });

  it('crlf needs both bytes, also when split; a lone CR is noise', () => {
    const { f, out } = framer({ suffix: 'crlf' });
    f.push(b('one\r'), 1);
    expect(texts(out)).toEqual([]);
    f.push(b('\ntwo\r\n'), 2);
    expect(texts(out)).toEqual(['one', 'two']);
    f.push(b('bad\rthree\r\n'), 3);
    expect(texts(out)).toEqual(['one', 'two', 'three']);
    expect(out.drops).toEqual([['noise', 4, 'next_frame']]);
  });

  it('custom suffix \\x03 ends frames; CR and LF are noise there', () => {
    const { f, out } = framer({ suffix: 'custom', customSuffix: '\x03' });
    f.push(b(`${CODE}\x03second\x03`), 5);
    expect(out.frames).toEqual([
      [CODE, 5],
      ['second', 5],
    ]);
    // 'x' and CR LF (noise here): reported when the line ends.
    f.push(b('x\r\n'), 6);
    expect(out.drops).toEqual([]);
    f.push(b('\x03'), 7);
    expect(out.drops).toEqual([['noise', 3, 'terminator']]);
  });

  it('custom multi-byte suffix is matched across chunks and after a partial match', () => {
    const { f, out } = framer({ suffix: 'custom', customSuffix: '##END' });
    f.push(b('ab#c##E'), 1);
    f.push(b('ND###END'), 2);
    expect(texts(out)).toEqual(['ab#c', '#']);
  });

  it('custom suffix needs a customSuffix', () => {
    expect(() => new Framer({ suffix: 'custom' })).toThrow(FramingOptionsError);
  });

  it('none ends a frame after the inter-byte timeout of silence', () => {
    const { f, out } = framer({ suffix: 'none', interByteTimeoutMs: 50 });
    f.push(b('FG1:AB'), 1000);
    f.push(b('CD'), 1040); // 40 ms gap: same frame
    f.tick(1080);
    expect(out.frames).toEqual([]);
    expect(f.nextDeadline()).toBe(1090);
    f.tick(1090);
    expect(out.frames).toEqual([['FG1:ABCD', 1040]]);
    expect(f.nextDeadline()).toBeUndefined();
    // A push after a long gap first ends the previous frame, without a tick in between.
    f.push(b('first'), 2000);
    f.push(b('second'), 2100);
    f.tick(2200);
    expect(texts(out)).toEqual(['FG1:ABCD', 'first', 'second']);
  });
});

describe('framer: bad input', () => {
  it('an overlong frame without terminator does not grow memory and is reported once; the next frame arrives', () => {
    const { f, out } = framer({ maxFrameLength: 1100 });
    const chunk = Buffer.alloc(64 * 1024, 'A'.charCodeAt(0));
    const total = 10 * 1024 * 1024;
    const heapBefore = process.memoryUsage().heapUsed;
    for (let sent = 0; sent < total; sent += chunk.length) {
      f.push(chunk, 1);
      expect(f.pendingLength).toBeLessThanOrEqual(1100);
    }
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    expect(heapGrowth).toBeLessThan(5 * 1024 * 1024);
    expect(out.drops).toEqual([]);
    f.push(b(`\r${CODE}\r`), 2);
    expect(out.drops).toEqual([['overlong', total, 'terminator']]);
    expect(out.frames).toEqual([[CODE, 2]]);
  });

  it('a frame of exactly maxFrameLength is kept, one more byte is overlong', () => {
    const { f, out } = framer({ maxFrameLength: 8 });
    f.push(b('12345678\r123456789\rok\n'), 1);
    expect(texts(out)).toEqual(['12345678', 'ok']);
    expect(out.drops).toEqual([['overlong', 9, 'terminator']]);
  });

  it('noise before a valid frame discards the partial and the noise once, silently; the frame after the noise arrives', () => {
    const { f, out } = framer();
    f.push(b(`garbage\x00\x00${CODE}\r`), 7);
    expect(out.frames).toEqual([[CODE, 7]]);
    expect(out.drops).toEqual([['noise', 9, 'next_frame']]);
    f.push(b('\x7f\x1b'), 8);
    f.push(b('ok\r'), 8);
    expect(texts(out)).toEqual([CODE, 'ok']);
    expect(out.drops).toEqual([
      ['noise', 9, 'next_frame'],
      ['noise', 2, 'next_frame'],
    ]);
  });

  it('strips an AIM prefix when stripAim is set, keeps it otherwise', () => {
    const on = framer();
    on.f.push(b(`]Q1${CODE}\r\n]Q1\r`), 1);
    expect(texts(on.out)).toEqual([CODE]);
    expect(on.out.drops).toEqual([['empty', 3, 'terminator']]);
    const off = framer({ stripAim: false });
    off.f.push(b(`]Q1${CODE}\r`), 1);
    expect(texts(off.out)).toEqual([`]Q1${CODE}`]);
  });

  it('a stale partial frame is dropped after staleFrameMs of silence and does not prefix the next frame', () => {
    const { f, out } = framer({ staleFrameMs: 1000 });
    f.push(b('FG1:half'), 100);
    f.tick(900);
    expect(out.drops).toEqual([]);
    expect(f.nextDeadline()).toBe(1100);
    f.tick(1100);
    expect(out.drops).toEqual([['stale', 8, 'silence']]);
    expect(f.nextDeadline()).toBeUndefined();
    f.push(b('FG1:ABC\r'), 1200);
    expect(texts(out)).toEqual(['FG1:ABC']);
    // Applied on push too, without a tick.
    f.push(b('old'), 2000);
    f.push(b('new\r'), 5000);
    expect(texts(out)).toEqual(['FG1:ABC', 'new']);
    expect(out.drops).toEqual([
      ['stale', 8, 'silence'],
      ['stale', 3, 'silence'],
    ]);
  });

  it('reset (link lost) drops a partial frame as stale, never emits it', () => {
    const { f, out } = framer();
    f.push(b('FG1:ha'), 1);
    f.reset();
    f.push(b('lf\r'), 2);
    expect(texts(out)).toEqual(['lf']);
    expect(out.drops).toEqual([['stale', 6, 'link']]);
  });
});
