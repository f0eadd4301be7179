/**
 * Turns the scanner's byte stream into frames (qr-token-v1 §1: a frame may carry a line
 * terminator and an AIM symbology identifier, both removed here).
 *
 * Pure and clock-free: bytes arrive with `push(bytes, now)`, time passes with `tick(now)`;
 * `nextDeadline()` tells the owner when a timeout could next fire. Rules:
 * - suffix `auto`: CR, LF or CRLF ends a frame (CRLF is one terminator, also when split across
 *   chunks); `cr` / `lf` / `crlf` / `custom`: exactly that byte sequence; `none`: a frame ends
 *   after `interByteTimeoutMs` of silence (that silence is then the terminator).
 * - a byte outside printable ASCII (0x20..0x7E) that is not part of the terminator is noise (but
 *   a byte ≥ 0x80 at a frame start begins a binary frame, below): the partial frame and the run
 *   of noise are discarded and a new frame starts after it.
 * - at most `maxFrameLength` bytes are held (in a fixed buffer); longer input is skipped and
 *   reported once as `dropped('overlong', totalLength)`.
 * - resynchronisation: in input that cannot be a ride code (an overlong run, or a partial frame
 *   that does not begin with a recognisable start), a recognisable code start (src/scanner/
 *   codeStarts.ts: `FG1:`, optionally after an AIM identifier such as `]Q1`) begins a new frame
 *   at once, so a code that follows junk without a terminator in between is not lost. The junk
 *   before it is `dropped('overlong' | 'junk', …, 'next_frame')`. A frame that itself begins with
 *   a start is never split (the start's characters are base45 characters).
 * - with a suffix, a partial frame with no new byte for `staleFrameMs` is `dropped('stale')`
 *   (an overlong run: `dropped('overlong')`; only noise: `dropped('noise')`), ended by `silence`.
 * - empty frames (a lone terminator) are ignored silently; a frame that is only an AIM
 *   identifier is `dropped('empty')`.
 * Every drop says what ended it (`DropEnd`), so the service can answer the rider
 * (src/scanner/dropAnswer.ts): a junk line that a terminator ends is answered `scan_again`;
 * junk that runs into the next frame, noise that trails off, and a lost link stay silent.
 * Stale partial frame (decided here): a read that stalled with text in it is answered
 * `scan_again` after `staleFrameMs` (the rider's code may have been cut off and they are likely
 * still at the gate); the partial text never prefixes the next frame. A drop is reported when
 * its line ends or the next frame starts, with the number of bytes discarded; a lost link
 * (`reset`) drops a partial frame as `stale`, ended by `link`.
 * Text frames are ASCII and decoded as latin1.
 *
 * Binary frames (jtt1179-reading §1.1: a scanner in binary mode sends a JT/T payload's raw
 * bytes, which may hold CR, LF, 0x00 and any other byte):
 * - a byte ≥ 0x80 at a frame start (the first byte of the stream, after a terminator, or after
 *   silence that ended or dropped the previous input; also right after an AIM identifier there,
 *   which is then removed whatever `stripAim` says) begins a binary frame. The next two bytes
 *   are the data length D (big-endian); the framer then takes exactly 3 + D bytes, whatever
 *   they are: no terminator, noise or code-start rule applies inside them.
 * - after the 3 + D bytes, one terminator (the suffix style's: with `auto` CR, LF or CRLF, also
 *   split across chunks) ends the frame and is removed; with no terminator, `interByteTimeoutMs`
 *   of silence ends it (a scanner in binary mode often sends none). Bytes between the 3 + D bytes
 *   and the terminator are a surplus: they stay in the frame (any byte), so the JT/T format finds
 *   the length wrong and decides `malformed` (§1.1, §2.4).
 * - a D that makes 3 + D longer than `maxFrameLength` makes the frame overlong as soon as D is
 *   read: it is skipped like an overlong text line and `dropped('overlong')` when that ends (a
 *   terminator, a code start, silence); so is a surplus that fills the buffer.
 * - a binary frame cut short (fewer than 3 + D bytes, then `staleFrameMs` with no byte, whatever
 *   the suffix style) is `dropped('stale', n, 'silence')`, answered `scan_again` like a stalled
 *   text frame; a lost link drops it as `stale`, ended by `link` (a frame whose 3 + D bytes all
 *   arrived is whole: it is emitted).
 * - a byte ≥ 0x80 anywhere else (inside a text frame or a run of noise) is noise, as before:
 *   text is never cut at a high byte, so a line garbled by a wrong baud rate gives one noise drop,
 *   not a string of bogus binary frames. A binary frame right after junk needs a terminator (or a
 *   pause) between them, which is what scanners send.
 * Binary frames are emitted as a Uint8Array (a copy, without the AIM identifier and the
 * terminator), text frames as a string. The framer never logs.
 */
import { EventEmitter } from 'node:events';
import { stripFrame } from '../token/frame.ts';
import {
  AIM_LENGTH,
  beginsWithCodeStart,
  CODE_START_WINDOW,
  endsCodeStart,
  isAimAt,
  matchCodeStartAtEnd,
} from './codeStarts.ts';
import type { DropEnd, DropReason, FramingOptions, ScannerFrame } from './types.ts';
import { FaregateError } from '../errors/faregateError.ts';
import { FramingSchema } from '../config/schema.ts';

export interface FramerEvents {
  /** A text frame (string) or a binary frame (Uint8Array, jtt1179-reading §1.1). */
  frame: [frame: ScannerFrame, receivedAt: number];
  dropped: [reason: DropReason, length: number, endedBy: DropEnd];
}

/** The settings' framing defaults (src/config/schema.ts, the one place defaults live). */
export const DEFAULT_FRAMING: Readonly<FramingOptions> = Object.freeze(FramingSchema.parse({}));

const CR = 0x0d;
const LF = 0x0a;
/** A byte at a frame start from here up begins a binary frame (jtt1179-reading §1.1). */
const BINARY_START = 0x80;
/** Version byte and the two bytes of D. */
const BINARY_HEADER = 3;

/** The framing options contradict each other: FRAMING_OPTIONS (FG-302). */
export class FramingOptionsError extends FaregateError {
  override readonly name = 'FramingOptionsError';
  constructor(message: string) {
    super('FRAMING_OPTIONS', message);
  }
}

/** Resolves and checks framing options (defaults for anything missing). */
export function resolveFramingOptions(partial: Partial<FramingOptions> = {}): FramingOptions {
  const o: FramingOptions = { ...DEFAULT_FRAMING, ...stripUndefined(partial) };
  const styles = ['auto', 'cr', 'lf', 'crlf', 'custom', 'none'];
  if (!styles.includes(o.suffix)) throw new FramingOptionsError(`unknown suffix style ${JSON.stringify(o.suffix)}`);
  if (!Number.isInteger(o.maxFrameLength) || o.maxFrameLength < 1) {
    throw new FramingOptionsError('maxFrameLength must be a positive integer');
  }
  for (const k of ['interByteTimeoutMs', 'staleFrameMs'] as const) {
    if (!Number.isFinite(o[k]) || o[k] <= 0) throw new FramingOptionsError(`${k} must be a positive number`);
  }
  if (o.suffix === 'custom') {
    const s = o.customSuffix;
    if (typeof s !== 'string' || s.length === 0)
      throw new FramingOptionsError('suffix "custom" needs a non-empty customSuffix');
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) > 0xff) throw new FramingOptionsError('customSuffix must be single-byte (latin1) characters');
    }
  }
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

function isPrintable(b: number): boolean {
  return b >= 0x20 && b <= 0x7e;
}

export class Framer extends EventEmitter<FramerEvents> {
  readonly options: Readonly<FramingOptions>;
  /** Fixed suffix bytes for cr/lf/crlf/custom; undefined for auto and none. */
  private readonly suffix: Buffer | undefined;
  private readonly buf: Buffer;
  private len = 0;
  /** The frame in `buf` begins with a recognisable code start (never split; no more checks). */
  private frameIsCode = false;
  /** Suffix bytes matched so far (held back from `buf`). */
  private matched = 0;
  /** Skipping an overlong frame: bytes skipped so far (0 = not skipping). */
  private skipped = 0;
  /** While skipping: the last bytes seen, to find a code start in the skipped run. */
  private readonly window = Buffer.alloc(CODE_START_WINDOW);
  private windowLen = 0;
  /** Bytes discarded for noise in the current line, not yet reported (0 = none). */
  private noise = 0;
  /** The last content byte was noise. */
  private inNoise = false;
  /** `auto`: the last terminator was CR, so an LF right after it belongs to it. */
  private afterCr = false;
  /**
   * Binary frame in `buf`: `header` (D not read yet), `body` (fewer than `binaryLength` bytes),
   * `tail` (3 + D bytes held, waiting for the terminator; bytes before it are surplus).
   */
  private binary: 'none' | 'header' | 'body' | 'tail' = 'none';
  /** 3 + D once D is read. */
  private binaryLength = 0;
  /** Time of the last byte that belongs to the pending state, or undefined when idle. */
  private lastByteAt: number | undefined;

  constructor(options: Partial<FramingOptions> = {}) {
    super();
    this.options = Object.freeze(resolveFramingOptions(options));
    const s = this.options.suffix;
    this.suffix =
      s === 'cr'
        ? Buffer.from([CR])
        : s === 'lf'
          ? Buffer.from([LF])
          : s === 'crlf'
            ? Buffer.from([CR, LF])
            : s === 'custom'
              ? Buffer.from(this.options.customSuffix ?? '', 'latin1')
              : undefined;
    this.buf = Buffer.alloc(this.options.maxFrameLength);
  }

  /** Feeds bytes received at `now`. Timeouts that expired before `now` are applied first. */
  push(bytes: Uint8Array, now: number): void {
    this.tick(now);
    for (let i = 0; i < bytes.length; i++) this.byte(bytes[i]!, now);
    if (this.hasPending()) this.lastByteAt = now;
    else this.lastByteAt = undefined;
  }

  /** Applies the silence timeouts as of `now`. */
  tick(now: number): void {
    if (this.lastByteAt === undefined) return;
    if (now - this.lastByteAt < this.silenceLimit()) return;
    const at = this.lastByteAt;
    this.lastByteAt = undefined;
    if (this.binary === 'header' || this.binary === 'body') this.discardPartial('silence');
    else if (this.binary === 'tail' || this.options.suffix === 'none') this.endFrame(at);
    else this.discardPartial('silence');
  }

  /** When `tick` could next change something, or undefined when nothing is pending. */
  nextDeadline(): number | undefined {
    if (this.lastByteAt === undefined) return undefined;
    return this.lastByteAt + this.silenceLimit();
  }

  /** The silence that ends the pending state: a binary frame cut short waits `staleFrameMs`. */
  private silenceLimit(): number {
    if (this.binary === 'header' || this.binary === 'body') return this.options.staleFrameMs;
    if (this.binary === 'tail' || this.options.suffix === 'none') return this.options.interByteTimeoutMs;
    return this.options.staleFrameMs;
  }

  /** Bytes currently held for an incomplete frame (never more than maxFrameLength). */
  get pendingLength(): number {
    return this.len;
  }

  /**
   * Forgets any incomplete input (the link went away): a partial frame is reported as
   * `dropped('stale', n, 'link')`, never emitted as a frame.
   */
  reset(): void {
    const at = this.lastByteAt;
    this.lastByteAt = undefined;
    // A binary frame whose 3 + D bytes all arrived is whole: it is emitted, not dropped.
    if (this.binary === 'tail') this.endFrame(at ?? 0);
    else this.discardPartial('link');
    this.afterCr = false;
  }

  private hasPending(): boolean {
    return this.len > 0 || this.matched > 0 || this.skipped > 0 || this.noise > 0;
  }

  private byte(b: number, now: number): void {
    if (this.binary === 'header' || this.binary === 'body') {
      this.binaryByte(b);
      return;
    }
    const suffix = this.suffix;
    if (suffix !== undefined) {
      if (b === suffix[this.matched]) {
        this.matched++;
        if (this.matched === suffix.length) {
          this.matched = 0;
          this.endFrame(now);
        }
        return;
      }
      if (this.matched > 0) {
        // The held bytes were not a terminator after all: the first is content, the rest (and
        // `b`) are looked at again, as they may start a terminator themselves.
        const held = suffix.subarray(0, this.matched);
        this.matched = 0;
        this.content(held[0]!);
        for (let i = 1; i < held.length; i++) this.byte(held[i]!, now);
        this.byte(b, now);
        return;
      }
      this.content(b);
      return;
    }
    if (this.options.suffix === 'auto' && (b === CR || b === LF)) {
      if (b === LF && this.afterCr) {
        this.afterCr = false;
        return;
      }
      this.endFrame(now);
      this.afterCr = b === CR;
      return;
    }
    this.afterCr = false;
    this.content(b);
  }

  private content(b: number): void {
    this.afterCr = false;
    if (this.skipped > 0) {
      this.skipped++;
      this.skipWindow(b);
      return;
    }
    if (this.binary === 'tail') {
      this.surplus(b);
      return;
    }
    if (b >= BINARY_START && !this.inNoise && this.atFrameStart()) {
      this.startBinary(b);
      return;
    }
    if (!isPrintable(b)) {
      if (!this.inNoise) {
        this.noise += this.len;
        this.len = 0;
        this.inNoise = true;
      }
      this.noise++;
      return;
    }
    if (this.inNoise) {
      // Printable text after noise starts a new frame: the noise before it is dropped silently.
      this.inNoise = false;
      this.reportNoise('next_frame');
    }
    if (this.len === this.buf.length) {
      this.skipped = this.len + 1;
      // Keep the tail: a code start may straddle the point where the frame became overlong.
      const keep = Math.min(this.len, CODE_START_WINDOW - 1);
      this.buf.copy(this.window, 0, this.len - keep, this.len);
      this.windowLen = keep;
      this.len = 0;
      this.skipWindow(b);
      return;
    }
    if (this.len === 0) this.frameIsCode = false;
    this.buf[this.len++] = b;
    if (!this.frameIsCode && endsCodeStart(b)) this.resyncInFrame();
  }

  /** Nothing held yet, or only an AIM identifier: a byte ≥ 0x80 here begins a binary frame. */
  private atFrameStart(): boolean {
    return this.len === 0 || (this.len === AIM_LENGTH && isAimAt(this.buf, 0));
  }

  /** The version byte of a binary frame (any AIM identifier before it is removed). */
  private startBinary(b: number): void {
    this.frameIsCode = false;
    this.buf[0] = b;
    this.len = 1;
    this.binary = 'header';
    this.binaryLength = 0;
    if (this.buf.length < BINARY_HEADER) this.binaryOverlong();
  }

  /** A byte of a binary frame's header or body: taken as it is. */
  private binaryByte(b: number): void {
    this.buf[this.len++] = b;
    if (this.binary === 'header') {
      if (this.len < BINARY_HEADER) {
        if (this.len === this.buf.length) this.binaryOverlong();
        return;
      }
      this.binaryLength = BINARY_HEADER + ((this.buf[1]! << 8) | this.buf[2]!);
      if (this.binaryLength > this.buf.length) {
        this.binaryOverlong();
        return;
      }
      this.binary = 'body';
    }
    if (this.len === this.binaryLength) {
      this.binary = 'tail';
      this.afterCr = false;
    }
  }

  /** A surplus byte after a binary frame's 3 + D bytes, before its terminator: kept in the frame. */
  private surplus(b: number): void {
    if (this.len === this.buf.length) {
      this.binaryOverlong();
      this.skipped++;
      this.skipWindow(b);
      return;
    }
    this.buf[this.len++] = b;
  }

  /** The binary frame cannot fit: skipped from here like an overlong line (up to a terminator or a code start). */
  private binaryOverlong(): void {
    this.skipped = this.len;
    this.len = 0;
    this.windowLen = 0;
    this.binary = 'none';
    this.binaryLength = 0;
  }

  /** A partial frame that is not a ride code and now ends with a code start: the code begins here. */
  private resyncInFrame(): void {
    const at = matchCodeStartAtEnd(this.buf, this.len);
    if (at < 0) return;
    if (at === 0 || beginsWithCodeStart(this.buf, this.len)) {
      this.frameIsCode = true;
      return;
    }
    this.buf.copy(this.buf, 0, at, this.len);
    this.len -= at;
    this.frameIsCode = true;
    this.emit('dropped', 'junk', at, 'next_frame');
  }

  /** Skipping an overlong run: a code start in it ends the run and begins a frame. */
  private skipWindow(b: number): void {
    const w = this.window;
    if (this.windowLen === w.length) {
      w.copy(w, 0, 1);
      this.windowLen--;
    }
    w[this.windowLen++] = b;
    const at = matchCodeStartAtEnd(w, this.windowLen);
    if (at < 0) return;
    const startLength = this.windowLen - at;
    const length = this.skipped - startLength;
    this.skipped = 0;
    w.copy(this.buf, 0, at, this.windowLen);
    this.len = startLength;
    this.frameIsCode = true;
    this.windowLen = 0;
    this.emit('dropped', 'overlong', length, 'next_frame');
  }

  private reportNoise(endedBy: DropEnd, extra = 0): void {
    const length = this.noise + extra;
    this.noise = 0;
    this.inNoise = false;
    if (length > 0) this.emit('dropped', 'noise', length, endedBy);
  }

  /** A terminator (or, with `none`, silence) ends the current frame. */
  private endFrame(at: number): void {
    if (this.binary === 'tail') {
      // Silence (or a lost link) with part of a fixed suffix held: a lone CR is a terminator
      // (§1.1), anything else is surplus.
      const held = this.matched;
      this.matched = 0;
      if (held > 0 && !(held === 1 && this.suffix![0] === CR)) {
        for (let i = 0; i < held; i++) this.surplus(this.suffix![i]!);
      }
    }
    if (this.binary === 'tail') {
      const frame = Uint8Array.prototype.slice.call(this.buf, 0, this.len);
      this.len = 0;
      this.binary = 'none';
      this.binaryLength = 0;
      this.emit('frame', frame, at);
      return;
    }
    if (this.skipped > 0) {
      const length = this.skipped;
      this.skipped = 0;
      this.windowLen = 0;
      this.emit('dropped', 'overlong', length, 'terminator');
      return;
    }
    if (this.inNoise) {
      // The line ended in noise: nothing readable after it.
      this.reportNoise('terminator');
      return;
    }
    if (this.len === 0) return;
    const raw = this.buf.toString('latin1', 0, this.len);
    this.len = 0;
    const text = this.options.stripAim ? stripFrame(raw) : raw;
    if (text.length === 0) {
      this.emit('dropped', 'empty', raw.length, 'terminator');
      return;
    }
    this.emit('frame', text, at);
  }

  private discardPartial(endedBy: DropEnd): void {
    const matched = this.matched;
    this.matched = 0;
    this.binary = 'none';
    this.binaryLength = 0;
    if (this.skipped > 0) {
      const length = this.skipped + matched;
      this.skipped = 0;
      this.windowLen = 0;
      this.emit('dropped', 'overlong', length, endedBy);
      return;
    }
    if (this.inNoise) {
      this.reportNoise(endedBy, matched);
      return;
    }
    const length = this.len + matched;
    this.len = 0;
    if (length > 0) this.emit('dropped', 'stale', length, endedBy);
  }
}
