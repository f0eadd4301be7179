import type { CommandSpec } from './types.ts';

export const INSPECT: CommandSpec = {
  path: 'inspect',
  summary: 'decode a ride code to JSON without trusting it',
  options: {},
  positionals: { usage: '[RIDE-CODE ...]', help: 'ride codes to decode; without any, one per line from stdin' },
  notes: [
    'FG1 codes as scanned; JT/T 1179 codes as hex or base64 text (their fields, with "format": "jtt1179").',
    'No signature is checked and no list is consulted; the output never holds the whole code.',
    'Exit 1 when a code does not decode: stderr says why (not base45, not CBOR, not a COSE_Sign1, ...).',
    'Exit 2 when there is no ride code at all (no argument, nothing on stdin).',
  ],
};
