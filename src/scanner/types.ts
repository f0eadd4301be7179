/**
 * Scanner input: a byte transport (serial port or TCP) under a framer that turns bytes into
 * ride-code frames. The service only sees `ScannerInput` events.
 */
import type { EventEmitter } from 'node:events';

/** A raw byte link to a scanner. Opened and re-opened by the scanner input; one open at a time. */
export interface ByteTransport extends EventEmitter<{
  data: [Buffer];
  /** The link went away (unplugged, peer closed, read error). Emitted at most once per open. */
  lost: [reason: string];
}> {
  /** Human-readable target, e.g. `/dev/ttyACM0` or `tcp://127.0.0.1:9100`. */
  readonly target: string;
  open(): Promise<void>;
  close(): Promise<void>;
}

export type SuffixStyle = 'auto' | 'cr' | 'lf' | 'crlf' | 'custom' | 'none';

export interface FramingOptions {
  /** `auto`: CR, LF or CRLF; `custom`: `customSuffix`; `none`: frames end after `interByteTimeoutMs` of silence. */
  suffix: SuffixStyle;
  customSuffix?: string;
  /** Silence that ends a frame (always applies with `none`; with a suffix, a stalled partial frame is dropped after `staleFrameMs`). */
  interByteTimeoutMs: number;
  staleFrameMs: number;
  /** Longest frame kept; longer input is discarded up to the next terminator and counted. */
  maxFrameLength: number;
  /** Strip an AIM symbology identifier such as `]Q1`. */
  stripAim: boolean;
}

/**
 * A frame from the scanner: text (a string, decoded as latin1; FG1, or a JT/T code as hex or
 * base64) or binary (a Uint8Array: a JT/T payload's raw bytes from a scanner in binary mode,
 * jtt1179-reading §1.1). Never logged.
 */
export type ScannerFrame = string | Uint8Array;

export type ScannerState = 'starting' | 'up' | 'down' | 'stopped';

/**
 * Why input was not a frame: `overlong` (over maxFrameLength), `noise` (bytes outside printable
 * ASCII), `stale` (a partial frame that stalled or was cut off by a lost link), `empty` (only an
 * AIM identifier), `junk` (printable text right before a recognisable code start, no terminator
 * in between).
 */
export type DropReason = 'overlong' | 'noise' | 'stale' | 'empty' | 'junk';

/**
 * What ended the dropped input: a `terminator` (with suffix `none`: the inter-byte silence),
 * `silence` (staleFrameMs with no byte), the `next_frame` starting right after it (a
 * recognisable code start, or printable text after noise), or the `link` going away.
 */
export type DropEnd = 'terminator' | 'silence' | 'next_frame' | 'link';

export interface ScannerEvents {
  /** A cleaned frame (terminator and AIM prefix removed), ready for the validator. */
  frame: [frame: ScannerFrame, receivedAt: number];
  /** Input that was not a frame: counted as `malformed` by the service. Never carries the bytes. */
  dropped: [reason: DropReason, length: number, endedBy: DropEnd];
  state: [state: ScannerState, detail: string];
}
