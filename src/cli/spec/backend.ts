import { ca, insecure, mqttUrl, passwordFile, prefix, protocol, username } from './common.ts';
import { METRICS_OPTIONS } from '../../metrics/metricsOptions.ts';
import type { CommandSpec } from './types.ts';

/** = DEFAULT_SHARED_GROUP of src/backend/settlementBackend.ts (a test keeps them equal). */
export const SHARED_GROUP = 'faregate-backend';

export const BACKEND: CommandSpec = {
  path: 'backend',
  summary: 'the reference settlement backend (MQTT taps → SQLite, acks), until stopped',
  options: {
    mqtt: mqttUrl,
    db: { type: 'string', value: 'FILE', required: true, help: "the backend's SQLite file, created if missing" },
    prefix,
    'client-id': { type: 'string', value: 'ID', defaultHelp: 'faregate-backend-<hostname>', help: 'MQTT client id' },
    protocol: protocol('5'),
    'shared-group': {
      type: 'string',
      value: 'NAME',
      defaultHelp: SHARED_GROUP,
      help: 'MQTT 5 shared subscription group (several backends share the load)',
    },
    'no-shared': { type: 'boolean', help: 'a plain subscription instead of a shared one' },
    username,
    'password-file': passwordFile,
    ca,
    cert: { type: 'string', value: 'FILE', help: 'client certificate (PEM), with --key' },
    key: { type: 'string', value: 'FILE', help: 'client private key (PEM), with --cert' },
    servername: { type: 'string', value: 'NAME', help: 'TLS server name to check, when it differs from the URL host' },
    insecure,
    'ack-key': {
      type: 'string',
      value: 'FILE',
      help: 'private JWK (faregate keys generate) to sign acks with (settlement-mqtt-v1 v1.1); without it, v1 acks',
    },
    ...METRICS_OPTIONS,
    'log-level': {
      type: 'string',
      value: 'LEVEL',
      choices: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'],
      default: 'info',
      help: 'log level',
    },
  },
  notes: ['Exit 1 when it cannot connect or subscribe.'],
};

export const BACKEND_REPORT: CommandSpec = {
  path: 'backend report',
  summary: 'sum what the backend settled, per day, device, profile and currency',
  options: {
    db: { type: 'string', value: 'FILE', required: true, help: "the backend's SQLite file" },
    json: { type: 'boolean', help: 'one JSON document instead of tables' },
  },
};
