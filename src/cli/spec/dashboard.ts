import { ca, insecure, mqttUrl, passwordFile, prefix, protocol, username } from './common.ts';
import type { CommandSpec } from './types.ts';

export const DASHBOARD: CommandSpec = {
  path: 'dashboard',
  summary: 'fleet web page from a broker: gate states, backlog, alarms, decisions/min charts',
  options: {
    mqtt: mqttUrl,
    prefix,
    protocol: protocol('4'),
    http: { type: 'string', value: 'PORT', default: '8090', help: 'HTTP port of the page (0: any free port)' },
    host: {
      type: 'string',
      value: 'ADDRESS',
      default: '127.0.0.1',
      help: 'address to listen on; anything but loopback needs --token',
    },
    token: {
      type: 'string',
      value: 'FILE',
      help: 'file holding the access token (16+ characters): Authorization: Bearer TOKEN, or open /?token=TOKEN once',
    },
    'operator-key': {
      type: 'string',
      value: 'FILE',
      help: 'operator private JWK (as for cmd send): allow signed commands from the page, each confirmed first',
    },
    sample: {
      type: 'string',
      value: 'S',
      default: '5',
      help: 'seconds between two points of the decisions-per-minute charts (1..60; 120 points are kept)',
    },
    username,
    'password-file': passwordFile,
    ca,
    insecure,
  },
  notes: [
    'Read-only unless --operator-key is given. Prints the page address, then serves until Ctrl-C.',
    'Exit 1 when there is no connection to the broker or the port cannot be opened.',
  ],
};
