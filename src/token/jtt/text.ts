/**
 * The text forms of a JT/T 1179 code and their detection (docs/spec/jtt1179-reading.md §1): hex or
 * base64 whose first byte is ≥ 0x80. Imports nothing, so a command can tell whether it needs the
 * JT/T format (and its SM2 library, slow to load) before it loads it.
 */

/** The format id JT/T decisions carry. */
export const JTT_FORMAT = 'jtt1179';

const HEX = /^(?:[0-9A-Fa-f]{2})+$/;
const B64_STD = /^[A-Za-z0-9+/]*={0,2}$/;
const B64_URL = /^[A-Za-z0-9\-_]*={0,2}$/;

function b64Value(c: number): number {
  if (c >= 65 && c <= 90) return c - 65;
  if (c >= 97 && c <= 122) return c - 71;
  if (c >= 48 && c <= 57) return c + 4;
  if (c === 43 || c === 45) return 62; // + -
  if (c === 47 || c === 95) return 63; // / _
  return -1;
}

/** Whether `text` is base64 as §1 defines it (one alphabet, optional exact padding, no whitespace). */
export function isJttBase64(text: string): boolean {
  if (text.length === 0) return false;
  if (!B64_STD.test(text) && !B64_URL.test(text)) return false;
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const bare = text.length - pad;
  if (bare % 4 === 1) return false;
  if (pad > 0) return text.length % 4 === 0 && pad === (4 - (bare % 4)) % 4;
  return true;
}

/** The text form of a frame (§1 steps c, d), or undefined when it is neither hex nor base64. */
export function textForm(text: string): 'hex' | 'base64' | undefined {
  if (text.length > 0 && HEX.test(text)) return 'hex';
  if (isJttBase64(text)) return 'base64';
  return undefined;
}

/**
 * Whether a text frame goes down the JT/T path (§1 steps c–g): hex or base64 whose first byte is
 * ≥ 0x80. Looks at the alphabet and the first character(s) only; decodes nothing.
 */
export function recognisesJttText(text: string): boolean {
  const form = textForm(text);
  if (form === 'hex') return parseInt(text.slice(0, 2), 16) >= 0x80;
  if (form === 'base64') return text.length >= 2 && b64Value(text.charCodeAt(0)) >= 32;
  return false;
}

/** The bytes of a JT/T text frame (§1 steps c–g), or undefined when §1 does not send it down the JT/T path. */
export function decodeJttText(text: string): Buffer | undefined {
  const form = textForm(text);
  if (form === undefined) return undefined;
  const b =
    form === 'hex'
      ? Buffer.from(text, 'hex')
      : Buffer.from(text.replace(/=+$/, ''), text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
  return b.length > 0 && b[0]! >= 0x80 ? b : undefined;
}
