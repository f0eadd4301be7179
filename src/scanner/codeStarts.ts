/**
 * The recognisable starts of a ride code in the scanner's byte stream, in one place: the framer
 * resynchronises at one of these after junk (src/scanner/framer.ts). JT/T 1179 codes add none:
 * their hex and base64 text has no distinctive start (hex digits are base45 characters), and a
 * binary JT/T frame is recognised by the framer itself, by a byte ≥ 0x80 at a frame start.
 *
 * A start may follow an AIM symbology identifier (`]` + symbology letter + modifier, e.g. `]Q1`),
 * which stays part of the frame (the framer strips it later when `stripAim` is set).
 */

/** qr-token-v1 §1: the FG1 ride code begins `FG1:`. */
export const RECOGNISED_CODE_STARTS: readonly string[] = Object.freeze(['FG1:']);

/** Length of an AIM symbology identifier (`]Q1`). */
export const AIM_LENGTH = 3;

/** The starts as bytes (latin1), longest first. */
export const CODE_START_BYTES: readonly Buffer[] = Object.freeze(
  [...RECOGNISED_CODE_STARTS].sort((a, b) => b.length - a.length).map((s) => Buffer.from(s, 'latin1')),
);

/** Longest start plus an AIM identifier: how many trailing bytes `matchCodeStartAtEnd` looks at. */
export const CODE_START_WINDOW = AIM_LENGTH + Math.max(...CODE_START_BYTES.map((s) => s.length));

const START_ENDS = new Uint8Array(256);
for (const s of CODE_START_BYTES) START_ENDS[s[s.length - 1]!] = 1;

/** Whether byte `b` is the last byte of some start (a cheap test before `matchCodeStartAtEnd`). */
export function endsCodeStart(b: number): boolean {
  return START_ENDS[b] === 1;
}

/** Whether `b[i..i+3)` is an AIM identifier (`]`, a letter, a letter or digit). */
export function isAimAt(b: Uint8Array, i: number): boolean {
  if (i < 0) return false;
  const letter = b[i + 1]!;
  const mod = b[i + 2]!;
  const isLetter = (letter >= 0x41 && letter <= 0x5a) || (letter >= 0x61 && letter <= 0x7a);
  const isAlnum =
    isLetter || (mod >= 0x30 && mod <= 0x39) || (mod >= 0x41 && mod <= 0x5a) || (mod >= 0x61 && mod <= 0x7a);
  return b[i] === 0x5d && isLetter && isAlnum;
}

function startAt(b: Uint8Array, i: number, end: number): number {
  for (const s of CODE_START_BYTES) {
    if (i + s.length > end) continue;
    let ok = true;
    for (let j = 0; j < s.length && ok; j++) ok = b[i + j] === s[j];
    if (ok) return s.length;
  }
  return 0;
}

/**
 * If `b[0..end)` ends with a recognised start (optionally after an AIM identifier), the index
 * where that start (or its AIM identifier) begins; otherwise -1.
 */
export function matchCodeStartAtEnd(b: Uint8Array, end: number): number {
  for (const s of CODE_START_BYTES) {
    const i = end - s.length;
    if (i < 0 || b[end - 1] !== s[s.length - 1]) continue;
    if (startAt(b, i, end) !== s.length) continue;
    return isAimAt(b, i - AIM_LENGTH) ? i - AIM_LENGTH : i;
  }
  return -1;
}

/** Whether `b[0..end)` begins with a recognised start (optionally after an AIM identifier). */
export function beginsWithCodeStart(b: Uint8Array, end: number): boolean {
  if (startAt(b, 0, end) > 0) return true;
  return end >= AIM_LENGTH && isAimAt(b, 0) && startAt(b, AIM_LENGTH, end) > 0;
}
