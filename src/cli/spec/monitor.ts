import { ca, insecure, mqttUrl, passwordFile, prefix, protocol, username } from './common.ts';
import type { CommandSpec } from './types.ts';

export const MONITOR: CommandSpec = {
  path: 'monitor',
  summary: 'live view of every gate on a broker (status, backlog, decisions/min, alarms)',
  options: {
    mqtt: mqttUrl,
    prefix,
    protocol: protocol('4'),
    once: { type: 'boolean', help: 'collect for --wait ms, print one snapshot and exit' },
    wait: {
      type: 'string',
      value: 'MS',
      default: '2000',
      help: 'how long --once collects, milliseconds (100..600000)',
    },
    json: { type: 'boolean', help: 'print the model as JSON, one line per snapshot' },
    username,
    'password-file': passwordFile,
    ca,
    insecure,
    'root-keys': {
      type: 'string',
      value: 'FILE',
      help:
        'JWK Set of the list root keys (as lists.rootKeys): check the retained trust and deny lists (and ' +
        'a retained JT/T root list) on the broker; one that does not verify shows LIST FORGED',
    },
  },
  notes: [
    'Exit 1 when there is no connection to the broker.',
    'With --root-keys a line "retained lists on the broker" shows each list: vN ok, none, or ' +
      'LIST FORGED (reason); --json adds retainedLists.',
  ],
};
