/**
 * Scanner-frame clean-up shared by the scanner layer and `faregate verify` (qr-token-v1 §1):
 * a trailing line terminator (CR, LF, CRLF) and a leading AIM symbology identifier
 * (`]` + symbology letter + modifier, e.g. `]Q1` for QR) are removed. Nothing else is touched:
 * a space is a base45 character.
 */
const AIM_PREFIX = /^\][A-Za-z][0-9A-Za-z]/;

export function stripFrame(frame: string): string {
  let end = frame.length;
  if (end > 0 && frame.charCodeAt(end - 1) === 10) end--;
  if (end > 0 && frame.charCodeAt(end - 1) === 13) end--;
  let start = 0;
  if (frame.charCodeAt(0) === 93 && AIM_PREFIX.test(frame)) start = 3;
  return start === 0 && end === frame.length ? frame : frame.slice(start, end);
}
