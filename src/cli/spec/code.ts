import type { CommandSpec } from './types.ts';

export const CODE: CommandSpec = {
  path: 'code',
  summary: 'make a ride code (level 2) from a credential, as a phone does',
  options: {
    credential: {
      type: 'string',
      value: 'FILE',
      required: true,
      help: 'a credential file, as written by faregate issue',
    },
    rider: { type: 'string', value: 'FILE', required: true, help: "the rider's private key, JWK" },
    seq: { type: 'string', value: 'N', required: true, help: 'sequence number of this code, a whole number' },
    ts: { type: 'string', value: 'UNIX', defaultHelp: 'now', help: 'the time the code is made' },
    untagged: { type: 'boolean', help: 'leave out the COSE_Sign1 tag (18)' },
  },
};
