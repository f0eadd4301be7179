import { ca, insecure, mqttUrl, passwordFile, prefix, protocol, username } from './common.ts';
import { METRICS_OPTIONS } from '../../metrics/metricsOptions.ts';
import type { CommandSpec } from './types.ts';

/** = DEFAULT_SHARED_GROUP of src/backend/settlementBackend.ts (a test keeps them equal). */
export const SHARED_GROUP = 'faregate-backend';

export const BACKEND: CommandSpec = {
  path: 'backend',
  summary: 'the reference settlement backend (taps → SQLite or PostgreSQL, acks) until stopped',
  options: {
    mqtt: mqttUrl,
    db: {
      type: 'string',
      value: 'FILE|URL',
      required: true,
      help: "the backend's SQLite file (created if missing), or a postgres:// URL (schema migrated on start)",
    },
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
    'db-password-file': {
      type: 'string',
      value: 'FILE',
      help: 'PostgreSQL password (first line), when the URL has none (or set PGPASSWORD)',
    },
    lanes: {
      type: 'string',
      value: 'N',
      default: '1',
      help:
        'MQTT 5 sessions in the shared group (client ids ID, ID.2, ...): up to N batches committing at once ' +
        '(1..16; each lane keeps its PUBACK after its commit)',
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
  notes: [
    'Exit 1 when it cannot connect or subscribe, or cannot reach the PostgreSQL database at start.',
    'With PostgreSQL, several backends (same --shared-group, distinct --client-id) may write to one database.',
  ],
};
