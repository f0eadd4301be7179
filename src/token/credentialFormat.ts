/**
 * The credential-format port: one ride-code format (FG1 today; the national transit QR code of
 * JT/T 1179 later, issue 14) behind one interface. A format recognises its frames, decodes and
 * verifies them, and answers with a {@link Decision} carrying the common fields (codeId, account,
 * credential id, profile, cap, times). Nothing outside src/token needs to know which format decided:
 * the admission core, the store, the settlement contract and the CLI read the Decision only.
 *
 * The {@link CredentialRouter} holds the formats in order; the first that recognises a frame
 * decides it. A frame no format recognises is `malformed` with no `format`. How to add a format:
 * docs/credential-formats.md.
 */
import type { Decision, FormatId } from './decision.ts';
import { MESSAGE_CLASS, REASONS } from './reasons.ts';

/** One ride-code format. Pure apart from its own caches and replay memory; no I/O. */
export interface CredentialFormat {
  /** Carried by its decisions as `format` (`fg1`). */
  readonly id: FormatId;
  /** Whether the frame (cleaned by src/token/frame.ts) is of this format: a cheap look, no decoding. */
  recognises(text: string): boolean;
  /** Decodes and verifies the frame at `nowSec` (Unix seconds); changes no replay memory. */
  evaluate(text: string, nowSec: number): Decision;
  /** Enters an accepted decision into the format's replay memory (called once the tap is committed). */
  remember(d: Decision): void;
  /**
   * A binary frame from a scanner in binary mode (AIM identifier and terminator already removed
   * by the framer), decided at `nowSec`; changes no replay memory. Only a format with a binary
   * form has it (JT/T 1179, jtt1179-reading §1.1); the router gives binary frames to the first.
   */
  evaluateFrame?(frame: Uint8Array, nowSec: number): Decision;
}

/** What the service and the CLI use: decide a frame, remember what was committed. */
export interface CredentialPort {
  evaluate(text: string, nowSec: number): Decision;
  /** A binary frame: decided by the format that reads binary frames, else `malformed` with no `format`. */
  evaluateFrame(frame: Uint8Array, nowSec: number): Decision;
  remember(d: Decision): void;
  /** Evaluates and, on accept, remembers at once (for callers with no commit, e.g. `faregate verify`). */
  decide(text: string, nowSec: number): Decision;
}

/** Frames longer than this are `malformed` before any format looks at them (qr-token-v1 §1). */
export const MAX_FRAME_LENGTH = 1024;

/** A `malformed` decision no format made (too long, or no format recognises the frame). */
export function unrecognised(at: number, detail: string): Decision {
  const reason = 'malformed';
  return { decision: 'reject', reason, reasonNumber: REASONS[reason], message: MESSAGE_CLASS[reason], at, detail };
}

/** The formats in order: the first that recognises a frame decides it. */
export class CredentialRouter implements CredentialPort {
  private readonly formats: readonly CredentialFormat[];

  constructor(formats: readonly CredentialFormat[]) {
    const ids = new Set<FormatId>();
    for (const f of formats) {
      if (ids.has(f.id)) throw new RangeError(`credential format ${f.id} is listed twice`);
      ids.add(f.id);
    }
    this.formats = formats;
  }

  /** The format ids, in the order they are tried. */
  get ids(): FormatId[] {
    return this.formats.map((f) => f.id);
  }

  /** The format that would decide `text`, if any. */
  formatOf(text: string): CredentialFormat | undefined {
    if (text.length > MAX_FRAME_LENGTH) return undefined;
    for (const f of this.formats) if (f.recognises(text)) return f;
    return undefined;
  }

  evaluate(text: string, nowSec: number): Decision {
    if (text.length > MAX_FRAME_LENGTH) return unrecognised(nowSec, `text longer than ${MAX_FRAME_LENGTH} characters`);
    for (const f of this.formats) if (f.recognises(text)) return f.evaluate(text, nowSec);
    return unrecognised(nowSec, 'not a ride code of a known format');
  }

  evaluateFrame(frame: Uint8Array, nowSec: number): Decision {
    if (frame.length > MAX_FRAME_LENGTH) return unrecognised(nowSec, `frame longer than ${MAX_FRAME_LENGTH} bytes`);
    for (const f of this.formats) if (f.evaluateFrame) return f.evaluateFrame(frame, nowSec);
    return unrecognised(nowSec, 'binary frame, and no format reads binary frames');
  }

  remember(d: Decision): void {
    if (d.decision !== 'accept') return;
    for (const f of this.formats) if (f.id === d.format) return f.remember(d);
  }

  decide(text: string, nowSec: number): Decision {
    const d = this.evaluate(text, nowSec);
    if (d.decision === 'accept') this.remember(d);
    return d;
  }
}
