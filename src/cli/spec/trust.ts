import type { CommandSpec } from './types.ts';

export const TRUST_BUILD: CommandSpec = {
  path: 'trust build',
  summary: 'build a trust list (JWK Set) from issuer public keys',
  options: {
    key: {
      type: 'string',
      value: 'FILE',
      required: true,
      multiple: true,
      help: 'an issuer public key, JWK with kid; repeat for more issuers',
    },
    nbf: { type: 'string', value: 'UNIX', multiple: true, help: 'the --key before it is valid from this time' },
    exp: { type: 'string', value: 'UNIX', multiple: true, help: 'the --key before it is valid until this time' },
    out: { type: 'string', value: 'FILE', defaultHelp: 'stdout', help: 'where the trust list goes' },
  },
  notes: ['--nbf and --exp apply to the --key given before them.'],
};
