/**
 * Base45 (RFC 9285). Pure; no I/O.
 *
 * Decoding is strict: every character must be in the alphabet, the length must not be
 * 1 mod 3, and every group must fit its byte width (≤ 65535 for three characters,
 * ≤ 255 for a trailing pair). Anything else is a {@link Base45Error}.
 */

import { FaregateError } from '../errors/faregateError.ts';
import { scratch } from './scratch.ts';

export const BASE45_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

/** Digit value of each latin1 code unit; -1 outside the alphabet. */
const DECODE = new Int8Array(256).fill(-1);
for (let i = 0; i < BASE45_ALPHABET.length; i++) DECODE[BASE45_ALPHABET.charCodeAt(i)] = i;

/** The text is not base45 (a ride code that does not decode: `malformed`). */
export class Base45Error extends FaregateError {
  override readonly name = 'Base45Error';
  constructor(message: string) {
    super('RIDE_CODE_MALFORMED', `base45: ${message}`);
  }
}

function digit(text: string, i: number): number {
  const c = text.charCodeAt(i);
  const v = c < 256 ? (DECODE[c] as number) : -1;
  if (v < 0) throw new Base45Error(`character at ${i} is not in the base45 alphabet`);
  return v;
}

/** Decodes `text` from index `start` to the end, into scratch memory (see scratch.ts). */
export function base45Decode(text: string, start = 0): Uint8Array {
  const n = text.length - start;
  if (n < 0) throw new Base45Error('start beyond end of text');
  if (n % 3 === 1) throw new Base45Error(`length ${n} is not a valid base45 length`);
  const out = scratch(Math.floor(n / 3) * 2 + (n % 3 === 2 ? 1 : 0));
  let o = 0;
  let i = start;
  const end = text.length;
  for (; i + 3 <= end; i += 3) {
    // One test per group on the fast path; `digit` names the bad character when it fails.
    const c0 = text.charCodeAt(i);
    const c1 = text.charCodeAt(i + 1);
    const c2 = text.charCodeAt(i + 2);
    const a = DECODE[c0 & 0xff] as number;
    const b = DECODE[c1 & 0xff] as number;
    const c = DECODE[c2 & 0xff] as number;
    if ((a | b | c) < 0 || (c0 | c1 | c2) > 0xff) {
      digit(text, i);
      digit(text, i + 1);
      digit(text, i + 2);
    }
    const v = a + b * 45 + c * 2025;
    if (v > 0xffff) throw new Base45Error(`group at ${i} exceeds 65535`);
    out[o++] = v >> 8;
    out[o++] = v & 0xff;
  }
  if (i < end) {
    const v = digit(text, i) + digit(text, i + 1) * 45;
    if (v > 0xff) throw new Base45Error(`final group at ${i} exceeds 255`);
    out[o++] = v;
  }
  return out;
}

const ENCODE = Uint8Array.from(BASE45_ALPHABET, (c) => c.charCodeAt(0));

/**
 * Encodes into one flat string (built as bytes, then decoded as latin1), not a rope of
 * concatenations: a rope is flattened, at a cost, the first time anything reads it.
 */
export function base45Encode(bytes: Uint8Array): string {
  const out = Buffer.allocUnsafe(Math.floor(bytes.length / 2) * 3 + (bytes.length % 2) * 2);
  let o = 0;
  let i = 0;
  for (; i + 2 <= bytes.length; i += 2) {
    let v = ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
    const c = v % 45;
    v = (v - c) / 45;
    const d = v % 45;
    out[o++] = ENCODE[c] as number;
    out[o++] = ENCODE[d] as number;
    out[o++] = ENCODE[(v - d) / 45] as number;
  }
  if (i < bytes.length) {
    const v = bytes[i] as number;
    out[o++] = ENCODE[v % 45] as number;
    out[o++] = ENCODE[Math.floor(v / 45)] as number;
  }
  return out.toString('latin1', 0, o);
}
