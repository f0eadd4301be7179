/** Options shared by the commands that talk to an MQTT broker. */
import type { OptionSpec } from './types.ts';

/** = DEFAULT_TOPIC_PREFIX of src/contract/settlement.ts (a test keeps them equal; that module loads zod). */
export const TOPIC_PREFIX = 'faregate/v1';

export const mqttUrl: OptionSpec = {
  type: 'string',
  value: 'URL',
  required: true,
  help: 'the broker, mqtt://host:port or mqtts://host:port',
};
export const prefix: OptionSpec = {
  type: 'string',
  value: 'P',
  default: TOPIC_PREFIX,
  help: 'topic prefix shared with the validators',
};
export const username: OptionSpec = { type: 'string', value: 'U', help: 'broker user name' };
export const passwordFile: OptionSpec = {
  type: 'string',
  value: 'FILE',
  help: 'file holding the broker password (needs --username)',
};
export const ca: OptionSpec = { type: 'string', value: 'FILE', help: 'CA certificate (PEM) to trust for mqtts://' };
export const insecure: OptionSpec = { type: 'boolean', help: 'accept any server certificate on mqtts:// (tests only)' };
export const protocol = (dflt: '4' | '5'): OptionSpec => ({
  type: 'string',
  value: '4|5',
  choices: ['4', '5'],
  default: dflt,
  help: 'MQTT protocol version: 4 (MQTT 3.1.1) or 5',
});
