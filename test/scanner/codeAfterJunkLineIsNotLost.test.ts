/**
 * A valid code that follows junk within staleFrameMs (no terminator in between) is not lost:
 * the framer resynchronises at the code's start. A junk line that a terminator ends is reported
 * as ended by the terminator (the service answers it `scan_again`); junk that runs into the code
 * is reported as ended by the next frame (silent). Pure Framer, injected clock (ms numbers).
 */
import { describe, expect, it } from 'vitest';
import { dropTellsRider } from '../../src/scanner/dropAnswer.ts';
import { Framer } from '../../src/scanner/framer.ts';
import type { DropEnd, DropReason, FramingOptions, ScannerFrame } from '../../src/scanner/types.ts';

const CODE =
  'FG1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEXWK G2EP4J0BGJLFX3R3VHXK.PJ:2DPF6R:5SVBHABVCNN95SWMPHQUHQN%A0SOE+QQAB-HQ/HQ7IR.SQEEOK9SAI4- 7Y15KBPD34';
const STALE_MS = 2000;

type Drop = [DropReason, number, DropEnd];

function framer(options: Partial<FramingOptions> = {}) {
  const f = new Framer({ suffix: 'auto', staleFrameMs: STALE_MS, maxFrameLength: 1100, stripAim: true, ...options });
  const frames: [ScannerFrame, number][] = [];
  const drops: Drop[] = [];
  f.on('frame', (text, at) => frames.push([text, at]));
  f.on('dropped', (reason, length, endedBy) => drops.push([reason, length, endedBy]));
  return { f, frames, drops, answered: () => drops.filter(([r, , e]) => dropTellsRider(r, e)) };
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const junk = (n: number): Buffer => Buffer.alloc(n, 'Z'.charCodeAt(0));

describe('a code after an overlong junk run (no terminator) within staleFrameMs', () => {
  it('is framed, not swallowed with the junk; the junk is silent', () => {
    const { f, frames, drops, answered } = framer();
    f.push(junk(5000), 1000);
    f.push(b(`${CODE}\r`), 1000 + STALE_MS - 1);
    expect(frames).toEqual([[CODE, 1000 + STALE_MS - 1]]);
    expect(drops).toEqual([['overlong', 5000, 'next_frame']]);
    expect(answered()).toEqual([]);
  });

  it('is framed when the code start straddles the point where the run became overlong', () => {
    const { f, frames, drops } = framer({ maxFrameLength: 8 });
    // The buffer is full at 'ZZZZZZFG'; the start is completed by the skipped '1:'.
    f.push(b('ZZZZZZFG1:ABC\n'), 5);
    expect(frames).toEqual([['FG1:ABC', 5]]);
    expect(drops).toEqual([['overlong', 6, 'next_frame']]);
  });

  it('keeps the AIM identifier before the code start with the code (stripped, or kept with stripAim off)', () => {
    const on = framer();
    on.f.push(junk(3000), 1);
    on.f.push(b(`]Q1${CODE}\r\n`), 2);
    expect(on.frames).toEqual([[CODE, 2]]);
    expect(on.drops).toEqual([['overlong', 3000, 'next_frame']]);
    const off = framer({ stripAim: false });
    off.f.push(b(`${'Z'.repeat(3000)}]Q1${CODE}\r`), 3);
    expect(off.frames).toEqual([[`]Q1${CODE}`, 3]]);
  });

  it('is framed when the code arrives one byte at a time', () => {
    const { f, frames } = framer();
    f.push(junk(4000), 0);
    let t = 10;
    for (const c of `${CODE}\r`) f.push(b(c), (t += 5));
    expect(frames).toEqual([[CODE, t]]);
  });
});

describe('a code after short printable junk (no terminator)', () => {
  it('is framed; the junk before it is dropped silently as junk', () => {
    const { f, frames, drops, answered } = framer();
    f.push(b('&&read error'), 100);
    f.push(b(`${CODE}\r`), 900);
    expect(frames).toEqual([[CODE, 900]]);
    expect(drops).toEqual([['junk', 12, 'next_frame']]);
    expect(answered()).toEqual([]);
  });

  it('resyncs after a false start (FG1 without its colon)', () => {
    const { f, frames, drops } = framer();
    f.push(b(`FG1${CODE}\r`), 1);
    expect(frames).toEqual([[CODE, 1]]);
    expect(drops).toEqual([['junk', 3, 'next_frame']]);
  });

  it('never splits a frame that itself begins with a code start, even at a later FG1:', () => {
    const { f, frames, drops } = framer();
    const withInnerStart = `${CODE.slice(0, 20)}FG1:${CODE.slice(20)}`;
    f.push(b(`${withInnerStart}\r]Q1${withInnerStart}\r`), 1);
    expect(frames).toEqual([
      [withInnerStart, 1],
      [withInnerStart, 1],
    ]);
    expect(drops).toEqual([]);
  });

  it('leaves a line without any code start as one frame (the validator says malformed)', () => {
    const { f, frames, drops } = framer();
    f.push(b('hello world\r'), 1);
    expect(frames).toEqual([['hello world', 1]]);
    expect(drops).toEqual([]);
  });
});

describe('junk lines that a terminator ends are answered, then the next code arrives', () => {
  it('overlong line, terminator, code within staleFrameMs', () => {
    const { f, frames, drops, answered } = framer();
    f.push(Buffer.concat([junk(5000), b('\r')]), 0);
    f.push(b(`${CODE}\r\n`), 300);
    expect(answered()).toEqual([['overlong', 5000, 'terminator']]);
    expect(frames).toEqual([[CODE, 300]]);
    expect(drops).toHaveLength(1);
  });

  it('noise-only line, terminator: answered; noise right before a code: silent', () => {
    const { f, frames, drops, answered } = framer();
    f.push(b('\x00\x1b\xff\r\n'), 0);
    f.push(b(`\x02\x02${CODE}\r`), 50);
    expect(frames).toEqual([[CODE, 50]]);
    expect(drops).toEqual([
      ['noise', 3, 'terminator'],
      ['noise', 2, 'next_frame'],
    ]);
    expect(answered()).toEqual([['noise', 3, 'terminator']]);
  });

  it('text with noise in it up to the terminator: one answered drop for the whole line', () => {
    const { f, drops, frames } = framer();
    f.push(b('abc\x00\x01\r'), 0);
    expect(frames).toEqual([]);
    expect(drops).toEqual([['noise', 5, 'terminator']]);
  });

  it('with suffix none the inter-byte silence is the terminator: an overlong line is answered', () => {
    const { f, frames, drops } = framer({ suffix: 'none', interByteTimeoutMs: 50 });
    f.push(junk(2000), 0);
    f.tick(50);
    f.push(b(CODE), 100);
    f.tick(150);
    expect(drops).toEqual([['overlong', 2000, 'terminator']]);
    expect(frames).toEqual([[CODE, 100]]);
  });
});

describe('stale partial frames (silence for staleFrameMs)', () => {
  it('a read cut off before its terminator is answered after staleFrameMs, never joined to the next code', () => {
    const { f, frames, answered } = framer();
    f.push(b(CODE.slice(0, 40)), 0);
    f.tick(STALE_MS - 1);
    expect(answered()).toEqual([]);
    f.tick(STALE_MS);
    expect(answered()).toEqual([['stale', 40, 'silence']]);
    f.push(b(`${CODE}\r`), STALE_MS + 10);
    expect(frames).toEqual([[CODE, STALE_MS + 10]]);
  });

  it('an overlong run that stalls is answered; trailing noise that stalls is silent', () => {
    const { f, drops, answered } = framer();
    f.push(junk(3000), 0);
    f.tick(STALE_MS);
    f.push(b('\n'), 10_000); // a lone terminator: ignored
    f.push(b('\x00\x00'), 20_000);
    f.tick(20_000 + STALE_MS);
    expect(drops).toEqual([
      ['overlong', 3000, 'silence'],
      ['noise', 2, 'silence'],
    ]);
    expect(answered()).toEqual([['overlong', 3000, 'silence']]);
  });

  it('a CRLF scanner read with suffix cr: the trailing LF never earns a scan_again', () => {
    const { f, frames, answered } = framer({ suffix: 'cr' });
    f.push(b(`${CODE}\r\n`), 0);
    f.tick(STALE_MS * 2);
    f.push(b(`${CODE}\r\n`), 10_000);
    f.push(b(`${CODE}\r`), 10_100);
    expect(frames.map(([t]) => t)).toEqual([CODE, CODE, CODE]);
    expect(answered()).toEqual([]);
  });

  it('a link lost mid-frame stays silent', () => {
    const { f, drops, answered } = framer();
    f.push(b('FG1:half'), 0);
    f.reset();
    expect(drops).toEqual([['stale', 8, 'link']]);
    expect(answered()).toEqual([]);
  });
});
