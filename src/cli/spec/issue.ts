import type { CommandSpec } from './types.ts';

export const ISSUE: CommandSpec = {
  path: 'issue',
  summary: 'mint a rider credential (level 1), written as base64url',
  options: {
    issuer: { type: 'string', value: 'FILE', required: true, help: "the issuer's private key, JWK" },
    rider: {
      type: 'string',
      value: 'FILE',
      required: true,
      help: "the rider's public key, JWK; the phone keeps the private part",
    },
    sub: {
      type: 'string',
      value: 'HEX',
      required: true,
      help: 'the rider account id, 1..32 bytes in hex, pseudonymous',
    },
    cti: { type: 'string', value: 'HEX', defaultHelp: '8 random bytes', help: 'credential id, 1..16 bytes in hex' },
    exp: {
      type: 'string',
      value: 'UNIX',
      defaultHelp: 'iat + --valid-for',
      help: 'expiry time (not with --valid-for)',
    },
    'valid-for': {
      type: 'string',
      value: 'S',
      defaultHelp: '604800 (7 days)',
      help: 'validity from iat, seconds (not with --exp)',
    },
    nbf: { type: 'string', value: 'UNIX', defaultHelp: 'none', help: 'not valid before this time' },
    iat: { type: 'string', value: 'UNIX', defaultHelp: 'now', help: 'issued-at time' },
    iss: { type: 'string', value: 'NAME', defaultHelp: 'none', help: 'issuer name' },
    profile: { type: 'string', value: '0-5', defaultHelp: 'none (= 0)', help: 'fare profile number' },
    cap: { type: 'string', value: 'MINOR', defaultHelp: 'none', help: 'fare cap, minor currency units' },
    modes: {
      type: 'string',
      value: 'bus,metro|N',
      defaultHelp: 'none (every mode)',
      help: 'where the credential may be used',
    },
    cv: {
      type: 'string',
      value: 'S',
      defaultHelp: "none (the validator's code validity)",
      help: 'ride code validity, 1..3600 seconds',
    },
    untagged: { type: 'boolean', help: 'leave out the COSE_Sign1 tag (18)' },
    out: { type: 'string', value: 'FILE', defaultHelp: 'stdout', help: 'where the credential goes' },
  },
};
