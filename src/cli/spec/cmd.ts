import { ca, insecure, mqttUrl, passwordFile, prefix, username } from './common.ts';
import type { CommandSpec } from './types.ts';

/** = COMMAND_NAMES of src/fleet/commandTypes.ts (a test keeps them equal; that module loads zod). */
export const KNOWN_COMMANDS = ['free_pass', 'out_of_service', 'reload_config', 'status', 'log_level'] as const;

export const CMD_SEND: CommandSpec = {
  path: 'cmd send',
  summary: 'send a signed remote command to a validator, print its reply',
  options: {
    mqtt: mqttUrl,
    device: { type: 'string', value: 'D', required: true, help: "the validator's deviceId" },
    cmd: { type: 'string', value: 'NAME', required: true, help: `the command: ${KNOWN_COMMANDS.join(', ')}` },
    args: { type: 'string', value: 'JSON', default: '{}', help: "the command's arguments, a JSON object" },
    key: { type: 'string', value: 'FILE', required: true, help: 'the operator private key, JWK with kid' },
    ttl: { type: 'string', value: 'S', default: '60', help: 'the command expires after this, seconds' },
    prefix,
    timeout: { type: 'string', value: 'S', default: '10', help: 'how long to wait for the reply, seconds' },
    id: { type: 'string', value: 'ID', defaultHelp: 'a random UUID', help: 'command id (a replayed id does nothing)' },
    username,
    'password-file': passwordFile,
    ca,
    insecure,
  },
  notes: ['Exit 0 when the validator did it; 1 when it refused or did not reply in time. See docs/remote-commands.md.'],
};
