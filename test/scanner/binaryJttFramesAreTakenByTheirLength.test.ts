/**
 * The framer's binary frames (jtt1179-reading §1.1, src/scanner/framer.ts): a byte ≥ 0x80 at a
 * frame start begins a frame of exactly 3 + D bytes, whatever they contain, then at most one
 * terminator is removed. Real JT/T codes (src/mint/jttMint.ts) with CR, LF and 0x00 bytes in the
 * issuer-defined field; the format decides what the framer emits where the test says so.
 */
import { describe, expect, it } from 'vitest';
import { jttKeyPair, jttRootsFile, mintJttCode } from '../../src/mint/jttMint.ts';
import { dropTellsRider } from '../../src/scanner/dropAnswer.ts';
import { Framer } from '../../src/scanner/framer.ts';
import type { DropEnd, DropReason, FramingOptions, ScannerFrame } from '../../src/scanner/types.ts';
import { JttFormat } from '../../src/token/jtt/jttFormat.ts';
import { jttRootsFromJson } from '../../src/token/jtt/roots.ts';

const NOW = 1_800_000_000;
const ROOT = jttKeyPair('framer test root');
const SIGNERS = { root: ROOT, issuer: jttKeyPair('framer test issuer'), user: jttKeyPair('framer test rider') };
const ROOTS = jttRootsFromJson(jttRootsFile([{ index: 0x17, key: ROOT }]));
/** CR, LF, CRLF, 0x00 and a lone ≥ 0x80 byte inside the payload (field 14 is opaque and signed). */
const CODE = mintJttCode({ ts: NOW - 5, authExpiry: NOW + 86400, issuerData: '0d0a0d00ff0a0d0a' }, SIGNERS);
const CODE2 = mintJttCode({ ts: NOW - 3, authExpiry: NOW + 86400, issuerData: '0a0a0d0d' }, SIGNERS);
const FG1 = 'FG1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEXWK G2EP4J0BGJLFX3R3VHXK';

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
    ...options,
  });
  const out: Out = { frames: [], drops: [] };
  f.on('frame', (frame, at) => out.frames.push([frame, at]));
  f.on('dropped', (reason, length, endedBy) => out.drops.push([reason, length, endedBy]));
  return { f, out };
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const cat = (...parts: (Buffer | string)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? b(p) : p)));
/** Frames as hex (binary) or `text:` strings, for compact comparisons. */
const shown = (out: Out): string[] =>
  out.frames.map(([f]) => (typeof f === 'string' ? `text:${f}` : Buffer.from(f).toString('hex')));
const hex = (x: Buffer): string => x.toString('hex');

describe('binary JT/T frames: exactly 3 + D bytes', () => {
  it('the payload holds CR, LF, CRLF and 0x00 bytes and arrives whole, as a Uint8Array', () => {
    expect(CODE.includes(Buffer.from([0x0d, 0x0a]))).toBe(true);
    expect(CODE.includes(0x00)).toBe(true);
    const { f, out } = framer();
    f.push(cat(CODE, '\r\n'), 5);
    expect(out.frames).toHaveLength(1);
    const [frame, at] = out.frames[0]!;
    expect(frame).toBeInstanceOf(Uint8Array);
    expect(hex(Buffer.from(frame as Uint8Array))).toBe(hex(CODE));
    expect(at).toBe(5);
    expect(out.drops).toEqual([]);
    expect(f.pendingLength).toBe(0);
    expect(new JttFormat({ roots: ROOTS }).evaluateFrame(frame as Uint8Array, NOW)).toMatchObject({
      decision: 'accept',
      format: 'jtt1179',
    });
  });

  it('split into two chunks at every byte boundary (D and the CRLF included): one frame, no drop', () => {
    const input = cat(CODE, '\r\n', CODE2, '\n');
    for (let cut = 1; cut < input.length; cut++) {
      const { f, out } = framer();
      f.push(input.subarray(0, cut), 1);
      f.push(input.subarray(cut), 2);
      expect(shown(out), `cut at ${cut}`).toEqual([hex(CODE), hex(CODE2)]);
      expect(out.drops, `cut at ${cut}`).toEqual([]);
    }
  });

  it('one byte per chunk, and D split across three chunks', () => {
    const one = framer();
    for (const byte of cat(CODE, '\r\n', CODE2, '\r')) one.f.push(Buffer.from([byte]), 1);
    expect(shown(one.out)).toEqual([hex(CODE), hex(CODE2)]);
    const d = framer();
    d.f.push(CODE.subarray(0, 1), 1);
    d.f.push(CODE.subarray(1, 2), 2);
    expect(d.f.pendingLength).toBe(2);
    d.f.push(CODE.subarray(2, 3), 3);
    d.f.push(cat(CODE.subarray(3), '\n'), 4);
    expect(shown(d.out)).toEqual([hex(CODE)]);
    expect(d.out.frames[0]![1]).toBe(4);
  });

  it('D counts the bytes: a frame shorter than a JT/T code is taken by its own length', () => {
    const { f, out } = framer();
    f.push(Buffer.from([0x80, 0x00, 0x04, 0x0d, 0x0a, 0x00, 0x0d, 0x0d, 0x0a]), 1);
    expect(shown(out)).toEqual(['8000040d0a000d']);
    expect(out.drops).toEqual([]);
  });
});

describe('binary JT/T frames: any chunking of a mixed stream', () => {
  it('binary codes, text codes and junk lines in random chunks always give the same frames', () => {
    let seed = 0x2545f491;
    const rnd = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const terminators = ['\r', '\n', '\r\n'];
    for (let round = 0; round < 200; round++) {
      const parts: Buffer[] = [];
      const want: string[] = [];
      for (let i = 0; i < 6; i++) {
        const t = terminators[rnd(3)]!;
        switch (rnd(4)) {
          case 0:
          case 1: {
            const code = rnd(2) ? CODE : CODE2;
            parts.push(cat(rnd(2) ? ']Q1' : '', code, t));
            want.push(hex(code));
            break;
          }
          case 2:
            parts.push(cat(FG1, t));
            want.push(`text:${FG1}`);
            break;
          default:
            parts.push(cat('junk\x00\x1b', t));
        }
      }
      const input = Buffer.concat(parts);
      const { f, out } = framer();
      for (let at = 0; at < input.length;) {
        const n = 1 + rnd(120);
        f.push(input.subarray(at, at + n), round);
        at += n;
      }
      expect(shown(out), `round ${round}`).toEqual(want);
      expect(out.drops.every(([r, , end]) => r === 'noise' && end === 'terminator')).toBe(true);
      expect(f.pendingLength).toBe(0);
    }
  });
});

describe('binary JT/T frames: the terminator (§1.1)', () => {
  it('CR, LF or CRLF after the 3 + D bytes is removed; a CRLF split across chunks is one terminator', () => {
    for (const t of ['\r', '\n', '\r\n']) {
      const { f, out } = framer();
      f.push(cat(CODE, t, CODE2, t), 1);
      expect(shown(out), JSON.stringify(t)).toEqual([hex(CODE), hex(CODE2)]);
      expect(out.drops).toEqual([]);
    }
    const { f, out } = framer();
    f.push(cat(CODE, '\r'), 1);
    expect(shown(out)).toEqual([hex(CODE)]);
    f.push(b('\n'), 2);
    f.push(cat(CODE2, '\r'), 3);
    expect(shown(out)).toEqual([hex(CODE), hex(CODE2)]);
    expect(out.drops).toEqual([]);
  });

  it('with no terminator the frame ends after interByteTimeoutMs of silence', () => {
    const { f, out } = framer({ interByteTimeoutMs: 50 });
    f.push(CODE, 100);
    expect(out.frames).toEqual([]);
    expect(f.nextDeadline()).toBe(150);
    f.tick(149);
    expect(out.frames).toEqual([]);
    f.tick(150);
    expect(shown(out)).toEqual([hex(CODE)]);
    expect(out.frames[0]![1]).toBe(100);
    expect(f.nextDeadline()).toBeUndefined();
    // The next frame is found after the silence as after a terminator.
    f.push(cat(CODE2, '\r\n'), 400);
    expect(shown(out)).toEqual([hex(CODE), hex(CODE2)]);
    expect(out.drops).toEqual([]);
  });

  it('only one terminator is removed: a second one is an empty frame, ignored', () => {
    const { f, out } = framer();
    f.push(cat(CODE, '\r\n\r\n', CODE2, '\n\n'), 1);
    expect(shown(out)).toEqual([hex(CODE), hex(CODE2)]);
    expect(out.drops).toEqual([]);
  });

  it('a surplus that is not a terminator stays in the frame, and the format decides it malformed', () => {
    const { f, out } = framer();
    f.push(cat(CODE, 'X\r\n', CODE2, '\x00\xff\r'), 1);
    expect(shown(out)).toEqual([hex(CODE) + '58', hex(CODE2) + '00ff']);
    expect(out.drops).toEqual([]);
    const format = new JttFormat({ roots: ROOTS });
    for (const [frame] of out.frames) {
      expect(format.evaluateFrame(frame as Uint8Array, NOW)).toMatchObject({ decision: 'reject', reason: 'malformed' });
    }
    // The same surplus ended by silence instead of a terminator.
    const quiet = framer();
    quiet.f.push(cat(CODE, 'Z'), 1);
    quiet.f.tick(1000);
    expect(shown(quiet.out)).toEqual([hex(CODE) + '5a']);
  });

  it('a fixed suffix style ends binary frames with that suffix (crlf, custom)', () => {
    const crlf = framer({ suffix: 'crlf' });
    crlf.f.push(cat(CODE, '\r\n', CODE2, '\r\n'), 1);
    expect(shown(crlf.out)).toEqual([hex(CODE), hex(CODE2)]);
    // A lone CR then silence: a terminator by §1.1, removed.
    crlf.f.push(cat(CODE, '\r'), 2);
    crlf.f.tick(1000);
    expect(shown(crlf.out)).toEqual([hex(CODE), hex(CODE2), hex(CODE)]);
    const etx = framer({ suffix: 'custom', customSuffix: '\x03' });
    etx.f.push(cat(CODE, '\x03', CODE2, '\r\x03'), 1);
    expect(shown(etx.out)).toEqual([hex(CODE), hex(CODE2) + '0d']);
    expect([...crlf.out.drops, ...etx.out.drops]).toEqual([]);
  });

  it('suffix none: the frame ends at the silence after its 3 + D bytes, never inside them', () => {
    const { f, out } = framer({ suffix: 'none', interByteTimeoutMs: 50, staleFrameMs: 1000 });
    f.push(CODE.subarray(0, 100), 0);
    // A pause longer than interByteTimeoutMs inside the frame does not end it.
    f.tick(500);
    expect(out.frames).toEqual([]);
    f.push(CODE.subarray(100), 600);
    f.tick(650);
    expect(shown(out)).toEqual([hex(CODE)]);
    expect(out.drops).toEqual([]);
  });
});

describe('binary JT/T frames: AIM identifier, junk, limits', () => {
  it('an AIM identifier before the first byte is removed, whatever stripAim says', () => {
    for (const stripAim of [true, false]) {
      const { f, out } = framer({ stripAim });
      f.push(cat(']Q1', CODE, '\r\n', ']z9', CODE2, '\r'), 1);
      expect(shown(out), `stripAim ${stripAim}`).toEqual([hex(CODE), hex(CODE2)]);
      expect(out.drops).toEqual([]);
    }
  });

  it('junk lines before and after a binary frame are dropped as today; the frame arrives', () => {
    const { f, out } = framer({ maxFrameLength: 500 });
    f.push(cat('garbage\x00\x01\r\n', CODE, '\r\n', 'trailing junk\r'), 1);
    f.push(cat('Z'.repeat(2000), '\r', CODE2, '\n', '\x1b\x1b\n'), 2);
    expect(shown(out)).toEqual([hex(CODE), 'text:trailing junk', hex(CODE2)]);
    expect(out.drops).toEqual([
      ['noise', 9, 'terminator'],
      ['overlong', 2000, 'terminator'],
      ['noise', 2, 'terminator'],
    ]);
  });

  it('junk that stalls, then a binary frame: the junk is dropped stale, the frame arrives', () => {
    const { f, out } = framer({ staleFrameMs: 300 });
    f.push(b('half a line'), 0);
    f.push(cat(CODE, '\r'), 400);
    expect(out.drops).toEqual([['stale', 11, 'silence']]);
    expect(shown(out)).toEqual([hex(CODE)]);
  });

  it('a byte ≥ 0x80 inside a text line or a run of noise is noise, as before (decided)', () => {
    const { f, out } = framer();
    f.push(b('abc\x80\x00\x05hello\r'), 1);
    f.push(b('\x00\x81\x01\x02world\r'), 2);
    expect(shown(out)).toEqual(['text:hello', 'text:world']);
    expect(out.drops).toEqual([
      ['noise', 6, 'next_frame'],
      ['noise', 4, 'next_frame'],
    ]);
    // After the terminator a binary frame is found again.
    f.push(cat(CODE, '\r\n'), 3);
    expect(shown(out).at(-1)).toBe(hex(CODE));
  });

  it('a D that makes the frame longer than maxFrameLength is overlong, skipped to the next terminator', () => {
    const { f, out } = framer({ maxFrameLength: 400 });
    const long = Buffer.from([0x80, 0x01, 0xf0, 0x41, 0x42, 0x43]); // D = 496: 499 > 400
    f.push(cat(long, '\r', CODE, '\r\n'), 1);
    expect(out.drops).toEqual([['overlong', 6, 'terminator']]);
    expect(dropTellsRider('overlong', 'terminator')).toBe(true);
    expect(shown(out)).toEqual([hex(CODE)]);
    // The usual resync: a code start in the skipped run begins a frame at once.
    f.push(cat(long, FG1, '\r'), 2);
    expect(out.drops.at(-1)).toEqual(['overlong', 6, 'next_frame']);
    expect(shown(out).at(-1)).toBe(`text:${FG1}`);
    // Exactly maxFrameLength is kept; the surplus that would overflow it is overlong.
    const exact = framer({ maxFrameLength: CODE.length });
    exact.f.push(cat(CODE, '\r\n', CODE, 'X\r'), 1);
    expect(shown(exact.out)).toEqual([hex(CODE)]);
    expect(exact.out.drops).toEqual([['overlong', CODE.length + 1, 'terminator']]);
  });

  it('a binary frame cut short is dropped stale after staleFrameMs (answered scan_again), whatever the suffix', () => {
    for (const suffix of ['auto', 'none'] as const) {
      const { f, out } = framer({ suffix, staleFrameMs: 800, interByteTimeoutMs: 50 });
      f.push(CODE.subarray(0, 200), 1000);
      expect(f.nextDeadline()).toBe(1800);
      f.tick(1799);
      expect(out.drops).toEqual([]);
      f.tick(1800);
      expect(out.drops, suffix).toEqual([['stale', 200, 'silence']]);
      expect(dropTellsRider('stale', 'silence')).toBe(true);
      // The partial never prefixes the next frame.
      f.push(cat(CODE2, '\r'), 2000);
      if (suffix === 'none') f.tick(3000);
      expect(shown(out), suffix).toEqual([hex(CODE2) + (suffix === 'none' ? '0d' : '')]);
      expect(out.frames).toHaveLength(1);
    }
    // Only the header (D not yet read) stalls the same way.
    const { f, out } = framer({ staleFrameMs: 800 });
    f.push(Buffer.from([0x80, 0x01]), 0);
    f.tick(800);
    expect(out.drops).toEqual([['stale', 2, 'silence']]);
  });

  it('a lost link drops a binary frame cut short (stale, link); a whole one waiting for its terminator is emitted', () => {
    const { f, out } = framer();
    f.push(CODE.subarray(0, 50), 1);
    f.reset();
    expect(out.drops).toEqual([['stale', 50, 'link']]);
    f.push(CODE, 2);
    f.reset();
    expect(shown(out)).toEqual([hex(CODE)]);
    expect(out.frames[0]![1]).toBe(2);
  });
});

describe('text frames from text-mode scanners are unchanged', () => {
  it('hex and base64 text of a JT/T code are text frames, decided by the format', () => {
    const { f, out } = framer();
    const upper = CODE.toString('hex').toUpperCase();
    const b64 = CODE2.toString('base64url');
    f.push(b(`]Q1${CODE.toString('hex')}\r\n${upper}\n${b64}\r${FG1}\r`), 1);
    expect(shown(out)).toEqual([`text:${CODE.toString('hex')}`, `text:${upper}`, `text:${b64}`, `text:${FG1}`]);
    expect(out.drops).toEqual([]);
    const format = new JttFormat({ roots: ROOTS });
    for (const [text] of out.frames.slice(0, 3)) {
      expect(format.evaluate(text as string, NOW)).toMatchObject({ decision: 'accept', format: 'jtt1179' });
    }
  });
});
