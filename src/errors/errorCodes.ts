/**
 * Stable numbered error codes, grouped by area (the hundreds digit), like zwave-js's
 * ZWaveErrorCodes. A number never changes meaning once released; retire a code, never reuse it.
 * Each code says which exit code the command line gives when it ends a command
 * (src/cli/spec/exitCodes.ts: 1 failed while running, 2 unusable arguments or files, 3 settings).
 *
 * Logs carry `code: 'FG-203'` and the message; docs/errors.md lists every code.
 */

export type ErrorArea =
  'settings' | 'store' | 'scanner' | 'lists' | 'commands' | 'cli' | 'ride_code' | 'settlement' | 'service';

export interface ErrorCodeInfo {
  readonly number: number;
  readonly area: ErrorArea;
  /** Exit code of the command line when this error ends a command. */
  readonly exit: 1 | 2 | 3;
  /** One line for docs/errors.md: what happened and what to do. */
  readonly means: string;
}

function code(number: number, area: ErrorArea, exit: 1 | 2 | 3, means: string): ErrorCodeInfo {
  return { number, area, exit, means };
}

export const ERROR_CODES = {
  // 1xx settings
  SETTINGS_INVALID: code(
    101,
    'settings',
    3,
    'The settings file has problems; each is listed with the path of the bad field.',
  ),
  SETTINGS_UNREADABLE: code(102, 'settings', 3, 'The settings file cannot be read or parsed (YAML/JSON syntax).'),
  SETTING_FILE_MISSING: code(
    103,
    'settings',
    3,
    'A file named in the settings (password, TLS, key set) is missing or unreadable.',
  ),
  // 2xx store
  STORE_UNAVAILABLE: code(
    201,
    'store',
    1,
    'The local store cannot take a write (disk full, read-only, locked): accepted codes are turned away.',
  ),
  STORE_NOT_FOUND: code(202, 'store', 2, 'There is no store in the data directory (the service never ran there).'),
  STORE_SCHEMA_NEWER: code(
    203,
    'store',
    1,
    'The store was written by a newer faregate (schema version higher than this one knows).',
  ),
  // 3xx scanner
  SCANNER_SETTINGS: code(301, 'scanner', 3, 'The scanner transport settings cannot be used (path, host, port).'),
  FRAMING_OPTIONS: code(302, 'scanner', 3, 'The scanner framing options contradict each other.'),
  // 4xx lists and keys
  LIST_FILE_INVALID: code(401, 'lists', 2, 'A trust or deny list file does not have the documented shape.'),
  LIST_REFUSED: code(
    402,
    'lists',
    1,
    'A signed list was refused (bad signature, unknown root, rollback, out of order, malformed).',
  ),
  KEY_SET_INVALID: code(
    403,
    'lists',
    2,
    'A JWK Set (trust file, root keys, operator keys, backend keys) cannot be used.',
  ),
  PRIVATE_KEY_IN_KEY_SET: code(
    404,
    'lists',
    2,
    'A JWK Set of public keys holds a private key: it is refused, the key is not used.',
  ),
  // 5xx remote commands
  COMMAND_REFUSED: code(
    501,
    'commands',
    1,
    'A remote command was refused (signature, expiry, replay, target, arguments).',
  ),
  RELOAD_FAILED: code(
    502,
    'commands',
    1,
    'reload_config could not apply the settings file; the running settings stay.',
  ),
  MODE_NOT_PERSISTED: code(
    503,
    'commands',
    1,
    'A gate mode could not be written to the store, so the command is refused.',
  ),
  // 6xx command line
  USAGE: code(601, 'cli', 2, 'Unusable arguments or files.'),
  BAD_ARGUMENT: code(602, 'cli', 2, 'A missing, unknown or bad option; the usage follows.'),
  OUTPUT_CLOSED: code(603, 'cli', 1, 'The reader of the output went away (a closed pipe).'),
  FARE_FILE_INVALID: code(
    604,
    'cli',
    2,
    'A fare file (docs/fares.md) cannot be read or has problems; each is listed with the path of the bad field.',
  ),
  // 7xx ride codes (decoding; every one is the reject reason `malformed` at a gate)
  RIDE_CODE_MALFORMED: code(
    701,
    'ride_code',
    1,
    'The ride code does not decode (base45, CBOR, COSE structure or claims).',
  ),
  KEY_FORMAT: code(702, 'ride_code', 2, 'A key is not in a supported format (COSE_Key, JWK).'),
  // 8xx settlement and MQTT
  MQTT_NOT_CONNECTED: code(801, 'settlement', 1, 'There is no connection to the broker.'),
  MQTT_LINK_STOPPED: code(802, 'settlement', 1, 'A publish came after the MQTT link was stopped; it is not sent.'),
  ACK_MALFORMED: code(
    803,
    'settlement',
    1,
    'An ack does not have the contract shape; it is ignored (the taps are re-sent).',
  ),
  MQTT_SUBSCRIPTION_REFUSED: code(
    804,
    'settlement',
    1,
    'The broker refused every subscription (an ACL without read access).',
  ),
  // 9xx service
  STARTUP_REFUSED: code(
    901,
    'service',
    3,
    'The service cannot start with these settings and files; every problem is listed.',
  ),
  COMPONENT_START_FAILED: code(
    902,
    'service',
    1,
    'A part of the service failed to start; the parts already started were stopped.',
  ),
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** `FG-203`: how a code is written in logs, errors and docs. */
export function errorTag(code: ErrorCode): string {
  return `FG-${ERROR_CODES[code].number}`;
}
