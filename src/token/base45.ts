/**
 * Base45 (RFC 9285). Pure; no I/O.
 *
 * Decoding is strict: every character must be in the alphabet, the length must not be
 * 1 mod 3, and every group must fit its byte width (≤ 65535 for three characters,
 * ≤ 255 for a trailing pair). Anything else is a {@link Base45Error}.
 */

export const BASE45_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE45_ALPHABET.length; i++) DECODE[BASE45_ALPHABET.charCodeAt(i)] = i;

export class Base45Error extends Error {
  override readonly name = 'Base45Error';
  constructor(message: string) {
    super(`base45: ${message}`);
  }
}

function digit(text: string, i: number): number {
  const c = text.charCodeAt(i);
  const v = c < 128 ? (DECODE[c] as number) : -1;
  if (v < 0) throw new Base45Error(`character at ${i} is not in the base45 alphabet`);
  return v;
}

/** Decodes `text` from index `start` to the end. */
export function base45Decode(text: string, start = 0): Uint8Array {
  const n = text.length - start;
  if (n < 0) throw new Base45Error('start beyond end of text');
  if (n % 3 === 1) throw new Base45Error(`length ${n} is not a valid base45 length`);
  const out = new Uint8Array(Math.floor(n / 3) * 2 + (n % 3 === 2 ? 1 : 0));
  let o = 0;
  let i = start;
  const end = text.length;
  for (; i + 3 <= end; i += 3) {
    const v = digit(text, i) + digit(text, i + 1) * 45 + digit(text, i + 2) * 2025;
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

export function base45Encode(bytes: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 <= bytes.length; i += 2) {
    let v = ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
    const c = v % 45;
    v = (v - c) / 45;
    const d = v % 45;
    const e = (v - d) / 45;
    s += BASE45_ALPHABET[c]! + BASE45_ALPHABET[d]! + BASE45_ALPHABET[e]!;
  }
  if (i < bytes.length) {
    const v = bytes[i] as number;
    s += BASE45_ALPHABET[v % 45]! + BASE45_ALPHABET[Math.floor(v / 45)]!;
  }
  return s;
}
