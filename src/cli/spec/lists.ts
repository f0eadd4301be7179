import { mqttUrl, passwordFile, prefix, protocol, username } from './common.ts';
import type { CommandSpec } from './types.ts';

export const LISTS_SIGN: CommandSpec = {
  path: 'lists sign',
  summary: 'sign a trust, deny or JT/T root list with a root key (docs/signed-lists.md)',
  options: {
    type: {
      type: 'string',
      value: 'trust|deny|jtt-roots',
      choices: ['trust', 'deny', 'jtt-roots'],
      required: true,
      help: 'which list (jtt-roots: the JT/T 1179 root keys)',
    },
    kind: {
      type: 'string',
      value: 'snapshot|delta',
      choices: ['snapshot', 'delta'],
      default: 'snapshot',
      help: 'a whole list, or changes to one (deny only)',
    },
    in: {
      type: 'string',
      value: 'FILE',
      required: true,
      help: 'the list body, JSON: {"keys"}, {"sub","cti"}, {"add","remove"} or a JT/T root-key file {"roots"}',
    },
    version: { type: 'string', value: 'N', required: true, help: 'the version of this list, ≥ 1' },
    base: { type: 'string', value: 'N', help: 'the version a delta applies to (deltas only)' },
    'issued-at': { type: 'string', value: 'UNIX', defaultHelp: 'now', help: 'issue time' },
    key: { type: 'string', value: 'FILE', required: true, help: 'the root private key, JWK with kid' },
    out: { type: 'string', value: 'FILE', required: true, help: 'where the signed list goes, JWS as JSON' },
  },
};

export const LISTS_PUBLISH: CommandSpec = {
  path: 'lists publish',
  summary: 'publish a signed list to the validators (snapshots retained)',
  options: {
    mqtt: { ...mqttUrl, help: 'the broker, mqtt://host[:port] or mqtts://host[:port]' },
    file: { type: 'string', value: 'FILE', required: true, help: 'a signed list, as written by faregate lists sign' },
    prefix,
    protocol: protocol('4'),
    username,
    'password-file': passwordFile,
    'retain-delta': { type: 'boolean', help: 'retain a delta too (normally only snapshots are retained)' },
  },
};
