/**
 * Turns the scanner's byte stream into frames (qr-token-v1 §1: a frame may carry a line
 * terminator and an AIM symbology identifier, both removed here).
 *
 * Pure and clock-free: bytes arrive with `push(bytes, now)`, time passes with `tick(now)`;
 * `nextDeadline()` tells the owner when a timeout could next fire. Rules:
 * - suffix `auto`: CR, LF or CRLF ends a frame (CRLF is one terminator, also when split across
 *   chunks); `cr` / `lf` / `crlf` / `custom`: exactly that byte sequence; `none`: a frame ends
 *   after `interByteTimeoutMs` of silence (that silence is then the terminator).
 * - a byte outside printable ASCII (0x20..0x7E) that is not part of the terminator is noise: the
 *   partial frame and the run of noise are discarded and a new frame starts after it.
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
 * Frames are ASCII and decoded as latin1. The framer never logs.
 */
import { EventEmitter } from 'node:events';
import { stripFrame } from '../token/frame.ts';
import { beginsWithCodeStart, CODE_START_WINDOW, endsCodeStart, matchCodeStartAtEnd } from './codeStarts.ts';
import type { DropEnd, DropReason, FramingOptions } from './types.ts';
import { FaregateError } from '../errors/faregateError.ts';
import { FramingSchema } from '../config/schema.ts';

export interface FramerEvents {
  frame: [text: string, receivedAt: number];
  dropped: [reason: DropReason, length: number, endedBy: DropEnd];
}

/** The settings' framing defaults (src/config/schema.ts, the one place defaults live). */
export const DEFAULT_FRAMING: Readonly<FramingOptions> = Object.freeze(FramingSchema.parse({}));

const CR = 0x0d;
const LF = 0x0a;

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
    const style = this.options.suffix;
    const limit = style === 'none' ? this.options.interByteTimeoutMs : this.options.staleFrameMs;
    if (now - this.lastByteAt < limit) return;
    const at = this.lastByteAt;
    this.lastByteAt = undefined;
    if (style === 'none') this.endFrame(at);
    else this.discardPartial('silence');
  }

  /** When `tick` could next change something, or undefined when nothing is pending. */
  nextDeadline(): number | undefined {
    if (this.lastByteAt === undefined) return undefined;
    return (
      this.lastByteAt + (this.options.suffix === 'none' ? this.options.interByteTimeoutMs : this.options.staleFrameMs)
    );
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
    this.lastByteAt = undefined;
    this.discardPartial('link');
    this.afterCr = false;
  }

  private hasPending(): boolean {
    return this.len > 0 || this.matched > 0 || this.skipped > 0 || this.noise > 0;
  }

  private byte(b: number, now: number): void {
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
