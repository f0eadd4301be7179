import type { CommandSpec } from './types.ts';

export const KEYS_GENERATE: CommandSpec = {
  path: 'keys generate',
  summary: 'generate an issuer or rider key pair (JWK)',
  options: {
    alg: {
      type: 'string',
      value: 'EdDSA|ES256',
      choices: ['EdDSA', 'ES256'],
      default: 'EdDSA',
      help: 'signature algorithm (Ed25519 or P-256)',
    },
    out: {
      type: 'string',
      value: 'FILE',
      help: 'where the private key goes (JWK, mode 0600); needed unless --print-private',
    },
    'public-out': { type: 'string', value: 'FILE', help: 'where the public key goes (JWK)' },
    kid: { type: 'string', value: 'BASE64URL', defaultHelp: '8 random bytes', help: 'key id, 1..16 bytes' },
    'print-private': { type: 'boolean', help: 'print the private key on stdout instead of the public key' },
    force: { type: 'boolean', help: 'replace --out / --public-out files that already exist' },
  },
  notes: [
    'Prints the public key (JSON) on stdout. An existing --out or --public-out file is never replaced without --force.',
  ],
};
