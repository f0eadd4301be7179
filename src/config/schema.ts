/**
 * The validator's settings (one YAML or JSON file, FAREGATE_* environment overrides).
 * Validated at start-up; on error the service refuses to start and lists every problem.
 *
 * Every field carries its meaning and its reload behaviour (`setting(…)`, src/config/settingMeta.ts);
 * defaults live here only. `npm run settings:generate` turns this file into
 * config/settings.schema.json and docs/settings.md (test/config checks they are in sync, and that
 * the reload flags match what src/fleet/commandsReload.ts applies).
 */
import { z } from 'zod';
import { DEFAULT_TOPIC_PREFIX } from '../contract/settlement.ts';
import { parseTcpTarget } from './scannerTarget.ts';
import { DEFAULT_PARAMS, MAX_CODE_VALIDITY } from '../token/params.ts';
import { section, setting } from './settingMeta.ts';
import { errorMessage } from '../errors/faregateError.ts';
import {
  DEVICE_ID_PATTERN,
  DEVICE_ID_RULE,
  DIRECTIONS,
  DIRECTIONS_OF,
  PROFILES,
  SERVICE_MODES,
  type ProfileName,
} from '../domain/vocabulary.ts';

const seconds = z.number().nonnegative();
const ms = z.number().int().nonnegative();
const minorUnits = z.number().int().nonnegative();

/** The scanner framing settings; src/scanner/framer.ts takes its defaults from here. */
export const FramingSchema = section(
  z
    .strictObject({
      suffix: setting(
        z.enum(['auto', 'cr', 'lf', 'crlf', 'custom', 'none']).default('auto'),
        'What ends one scan in the byte stream: auto accepts CR, LF or CRLF; custom uses customSuffix; none ends a scan after interByteTimeoutMs of silence. Set it to what the scanner is configured to send.',
        'restart',
      ),
      customSuffix: setting(
        z.string().min(1).optional(),
        'The bytes that end a scan when suffix is custom (e.g. "\\u0003"). Required with suffix: custom.',
        'restart',
      ),
      interByteTimeoutMs: setting(
        ms.default(50),
        'With suffix: none, the silence in milliseconds that ends a scan; with any suffix, the silence that ends a binary JT/T scan sent with no terminator. Raise it for a slow link.',
        'restart',
      ),
      staleFrameMs: setting(
        ms.default(2000),
        'A partial scan older than this many milliseconds is dropped (a half-read code never mixes with the next one); also a binary JT/T scan shorter than its length field, whatever the suffix.',
        'restart',
      ),
      // qr-token-v1 §1 rejects text over 1024 characters; the default leaves room for an AIM prefix
      // and lets the validator count anything in between as malformed.
      maxFrameLength: setting(
        z.number().int().min(16).max(65536).default(2048),
        'Longest scan in bytes; longer input is discarded, never buffered. Ride codes are well below the default.',
        'restart',
      ),
      stripAim: setting(
        z.boolean().default(true),
        'Remove an AIM symbology prefix such as ]Q1 that some scanners put before the code (before a binary JT/T scan it is always removed).',
        'restart',
      ),
    })
    .prefault({})
    .refine((f) => f.suffix !== 'custom' || f.customSuffix !== undefined, {
      message: 'customSuffix is required when suffix is custom',
      path: ['customSuffix'],
      // Also when another framing field is wrong: every problem is listed at once.
      when: () => true,
    }),
  "How scans are cut out of the scanner's byte stream.",
);

export const ScannerSchema = section(
  z.strictObject({
    path: setting(
      z
        .string()
        .min(1)
        .superRefine((p, ctx) => {
          if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) {
            try {
              parseTcpTarget(p);
            } catch (e) {
              ctx.addIssue({ code: 'custom', message: errorMessage(e) });
            }
          }
        }),
      'Where the QR scanner is: a serial device path (prefer the stable /dev/serial/by-id/usb-… name, which survives replugging into another USB port) or tcp://host:port for a network scanner. Relative paths are relative to the settings file.',
      'restart',
    ),
    baudRate: setting(
      z.number().int().positive().default(9600),
      'Serial speed in bits per second; must match the scanner (often 9600 or 115200). Ignored for tcp://.',
      'restart',
    ),
    dataBits: setting(
      z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)], { error: 'must be 5, 6, 7 or 8' }).default(8),
      'Serial data bits; almost always 8.',
      'restart',
    ),
    parity: setting(
      z.enum(['none', 'even', 'odd', 'mark', 'space']).default('none'),
      'Serial parity; almost always none.',
      'restart',
    ),
    stopBits: setting(
      z.union([z.literal(1), z.literal(1.5), z.literal(2)], { error: 'must be 1, 1.5 or 2' }).default(1),
      'Serial stop bits; almost always 1.',
      'restart',
    ),
    framing: FramingSchema,
    reconnect: section(
      z
        .strictObject({
          initialDelayMs: setting(
            ms.default(250),
            'First wait in milliseconds before reopening a scanner that went away (unplugged, USB reset, TCP drop); doubles per failed try.',
            'restart',
          ),
          maxDelayMs: setting(
            ms.default(5000),
            'Longest wait in milliseconds between two tries to reopen the scanner.',
            'restart',
          ),
        })
        .prefault({}),
      'Reopening the scanner after it went away, with capped backoff.',
    ),
  }),
  'The QR scanner the riders present their ride codes to.',
);

const fareAmount = (who: string) =>
  setting(
    minorUnits.optional(),
    `Fare for the ${who} profile in minor units (fen, cents); absent = the adult fare.`,
    'live',
  );
/** One fare per profile (src/domain/vocabulary.ts PROFILES, in its order): adult required, the others optional. */
const FareTable = z.strictObject({
  adult: setting(
    minorUnits,
    'Fare for the adult profile in minor units (fen, cents). Required in a fare table.',
    'live',
  ),
  ...(Object.fromEntries(PROFILES.filter((p) => p !== 'adult').map((p) => [p, fareAmount(p)])) as Record<
    Exclude<ProfileName, 'adult'>,
    ReturnType<typeof fareAmount>
  >),
});

const gateTimeout = setting(
  ms.default(500),
  'Longest wait in milliseconds for the gate or display to take a signal; a slow or dead board never holds up the next rider.',
  'restart',
);
export const GateSchema = section(
  z.discriminatedUnion('driver', [
    z.strictObject({
      driver: setting(
        z.literal('console'),
        'console: outcomes are only logged (no relay or display board).',
        'restart',
      ),
      timeoutMs: gateTimeout,
    }),
    z.strictObject({
      driver: setting(
        z.literal('serial'),
        'serial: a relay or display board on a serial port gets one text line per outcome.',
        'restart',
      ),
      timeoutMs: gateTimeout,
      path: setting(
        z.string().min(1),
        "The relay or display board's serial port (prefer /dev/serial/by-id/…). Relative paths are relative to the settings file.",
        'restart',
      ),
      baudRate: setting(
        z.number().int().positive().default(9600),
        'Serial speed of the board in bits per second.',
        'restart',
      ),
      commands: section(
        z
          .strictObject({
            open: setting(
              z.string().default('OPEN {message}'),
              'Line sent when the gate opens for a rider. {message} (go, refresh_code, see_staff, …), {text}, {fare} and {tapId} are replaced.',
              'restart',
            ),
            reject: setting(
              z.string().default('REJECT {message}'),
              'Line sent when a rider is turned away (same placeholders as open).',
              'restart',
            ),
            silent: setting(
              z.string().optional(),
              'Line sent for an ignored second read of the same code; absent = nothing is sent.',
              'restart',
            ),
          })
          .prefault({}),
        'The text lines written to the board for each outcome.',
      ),
      lineEnding: setting(
        z.enum(['cr', 'lf', 'crlf']).default('crlf'),
        'What ends each line sent to the board.',
        'restart',
      ),
    }),
  ]),
  'What opens the gate or shows the outcome to the rider: driver console (log only) or serial (a board on a serial port).',
);

export const MqttSchema = section(
  z.strictObject({
    url: setting(
      z.string().regex(/^mqtts?:\/\/[^\s/]+(:\d+)?\/?$/, 'must be mqtt://host[:port] or mqtts://host[:port]'),
      'The broker: mqtt://host:1883, or mqtts://host:8883 for TLS. Required in the mqtt section.',
      'restart',
    ),
    clientId: setting(
      z.string().min(1).max(128).optional(),
      'MQTT client id; absent = the deviceId. Two validators must never share one. A broker that binds ' +
        'client id to user name (use_username_as_clientid, as in docs/deploy/mosquitto) ignores it: set it ' +
        'only for a broker without that binding, equal to the username.',
      'restart',
    ),
    username: setting(
      z.string().optional(),
      'Broker user name (often the deviceId, so broker ACLs keep gates apart).',
      'restart',
    ),
    passwordFile: setting(
      z.string().optional(),
      'A file holding the broker password (keeps it out of the settings file and the environment). Relative paths are relative to the settings file.',
      'restart',
    ),
    tls: section(
      z
        .strictObject({
          ca: setting(
            z.string().optional(),
            "PEM file of the CA that signed the broker's certificate; absent = the system CAs.",
            'restart',
          ),
          cert: setting(
            z.string().optional(),
            "PEM file of this validator's client certificate (when the broker wants client certificates).",
            'restart',
          ),
          key: setting(
            z.string().optional(),
            'PEM file of the private key of cert. Keep it readable by the service only.',
            'restart',
          ),
          servername: setting(
            z.string().optional(),
            "Host name to check the broker's certificate against when it differs from the url's host.",
            'restart',
          ),
          rejectUnauthorized: setting(
            z.boolean().default(true),
            'Refuse a broker whose certificate does not check out. Set false only on a test bench.',
            'restart',
          ),
        })
        .optional(),
      'TLS options for an mqtts:// broker. Certificate paths are relative to the settings file.',
    ),
    keepalive: setting(
      z.number().int().min(5).max(3600).default(30),
      'MQTT keepalive in seconds: how soon a dead connection is noticed (and the broker publishes the offline will).',
      'restart',
    ),
    protocolVersion: setting(
      z.union([z.literal(4), z.literal(5)], { error: 'must be 4 (MQTT 3.1.1) or 5 (MQTT 5)' }).default(4),
      'MQTT protocol: 4 = MQTT 3.1.1, 5 = MQTT 5.',
      'restart',
    ),
    topicPrefix: setting(
      z
        .string()
        .regex(/^[^#+\s]+$/, 'must not contain wildcards or spaces')
        .refine((p) => !p.endsWith('/') && !p.startsWith('/'), 'must not start or end with /')
        .default(DEFAULT_TOPIC_PREFIX),
      "First part of every topic (settlement-mqtt-v1 `P`); must match the backend's.",
      'restart',
    ),
    reconnectPeriodMs: setting(
      ms.default(2000),
      'Wait in milliseconds between two tries to reach the broker.',
      'restart',
    ),
    worker: setting(
      z.boolean().default(true),
      'Run the broker connection in a worker thread: every message is received and parsed there, so a flood ' +
        'or a 20 MB list never holds up a decision. false = on the main thread (uses a little less memory).',
      'restart',
    ),
  }),
  'The broker taps are settled through (settlement-mqtt-v1). Without this section taps stay in the local store, and remote commands and signed lists are off.',
);

export const SettlementSchema = section(
  z.strictObject({
    batchSize: setting(z.number().int().min(1).max(1000).default(100), 'Most taps in one upload batch.', 'restart'),
    lingerMs: setting(
      ms.default(200),
      'How long in milliseconds a new tap waits for others to share its batch (fewer messages, slightly later settlement).',
      'restart',
    ),
    ackTimeoutMs: setting(
      z.number().int().min(100).default(10_000),
      "Wait in milliseconds for the backend's ack before a batch's taps may be sent again; doubles per failed attempt up to maxBackoffMs.",
      'restart',
    ),
    maxBackoffMs: setting(
      z.number().int().min(100).default(300_000),
      'Longest wait in milliseconds between two attempts to settle the same taps.',
      'restart',
    ),
    maxInFlight: setting(z.number().int().min(1).max(64).default(4), 'Batches waiting for an ack at once.', 'restart'),
    backendKeys: setting(
      z.string().min(1).optional(),
      "JWK Set file of the settlement backend's public keys (settlement-mqtt-v1 Amendment 1): only acks signed with one of them settle taps. Needed with mqtt unless acceptUnsignedAcks is true. Relative paths are relative to the settings file.",
      'restart',
    ),
    acceptUnsignedAcks: setting(
      z.boolean().default(false),
      'Take unsigned v1 acks (anyone who can publish on the acks topic can then mark taps settled). Only for a backend that cannot sign yet; logged at start and shown in the status.',
      'restart',
    ),
    maxTapsPerSecond: setting(
      z.number().int().min(1).default(2000),
      "Upper bound on the upload rate in taps per second, so a week's backlog drains without starving decisions at the gate.",
      'restart',
    ),
    retentionDays: setting(
      z.number().min(0).default(30),
      'Settled taps are deleted from the local store after this many days (keeping at least keepRecent taps). Unsettled taps are never deleted.',
      'restart',
    ),
    keepRecent: setting(
      z.number().int().min(0).default(30_000),
      'Newest taps always kept in the local store, settled or not, whatever their age.',
      'restart',
    ),
    alarms: section(
      z
        .strictObject({
          unsettledCount: setting(
            z.number().int().min(1).default(10_000),
            'Raise the backlog alarm when more taps than this wait for settlement.',
            'restart',
          ),
          oldestUnsettledSeconds: setting(
            z.number().int().min(1).default(3600),
            'Raise the backlog-age alarm when the oldest unsettled tap is older than this many seconds.',
            'restart',
          ),
          failedAttempts: setting(
            z.number().int().min(1).default(5),
            'Raise the upload-failing alarm when a tap failed to settle this many times.',
            'restart',
          ),
          storeCapacity: setting(
            z.number().int().min(1).default(1_000_000),
            'Unsettled taps the store is sized for; an alarm is raised at 90 % of it. Taps are never dropped.',
            'restart',
          ),
        })
        .prefault({}),
      'When the validator raises alarms (events and status, seen in faregate monitor).',
    ),
    metricsIntervalMs: setting(
      z.number().int().min(1000).default(60_000),
      'How often in milliseconds the validator publishes metrics (counters, backlog, memory).',
      'restart',
    ),
  }),
  'Uploading taps to the backend and keeping the local store tidy (used with mqtt).',
);

export const ListsSchema = section(
  z.strictObject({
    rootKeys: setting(
      z.string().min(1),
      'JWK Set file of the root public keys that sign the lists (the JWS kid picks one). Required in the lists section. Relative paths are relative to the settings file.',
      'restart',
    ),
    maxAgeSeconds: section(
      z
        .strictObject({
          trust: setting(
            z
              .number()
              .int()
              .min(1)
              .default(7 * 86_400),
            'A trust list older than this many seconds (now − its issuedAt; for a file, its modification time) is stale.',
            'restart',
          ),
          deny: setting(
            z.number().int().min(1).default(86_400),
            'A deny list older than this many seconds is stale.',
            'restart',
          ),
        })
        .prefault({}),
      'How old a list may be before it counts as stale (see stalePolicy).',
    ),
    maxBytes: section(
      z
        .strictObject({
          trust: setting(
            z
              .number()
              .int()
              .min(1024)
              .default(1024 * 1024),
            'A trust list message larger than this many bytes is refused (reason oversized) before it is parsed.',
            'restart',
          ),
          deny: setting(
            z
              .number()
              .int()
              .min(1024)
              .default(64 * 1024 * 1024),
            'A deny list message larger than this many bytes is refused (reason oversized) before it is parsed. The default fits a 10⁶-entry snapshot (about 27 MB).',
            'restart',
          ),
          jttRoots: setting(
            z
              .number()
              .int()
              .min(1024)
              .default(256 * 1024),
            'A JT/T root list message (P/jtt-roots) larger than this many bytes is refused (reason oversized) before it is parsed. The default holds all 256 root indexes with labels.',
            'restart',
          ),
        })
        .prefault({}),
      'Size limits of the signed list messages, checked before anything parses them.',
    ),
    stalePolicy: setting(
      z.enum(['accept_and_flag', 'reject']).default('accept_and_flag'),
      'With a stale list: accept_and_flag decides as usual and flags accepted taps "stale_lists"; reject turns away riders who would be accepted (reason lists_stale, "see staff").',
      'restart',
    ),
  }),
  'Signed trust and deny lists received over MQTT on P/trust and P/deny, and with jtt.roots the JT/T root list on P/jtt-roots (docs/signed-lists.md). Needs mqtt; the trust, deny and JT/T root files are then only the bootstrap lists.',
);

export const JttSchema = section(
  z
    .strictObject({
      roots: setting(
        z.string().min(1).optional(),
        'JSON file of the JT/T 1179 root keys (jtt1179-reading §5: {"roots": [{index, key, nbf?, exp?}]}), from the issuer or clearing body; absent = JT/T codes are not read (they are rejected as malformed, as without this section). Relative paths are relative to the settings file.',
        'live',
        'when JT/T was on at start (turning it on or off needs a restart), unless signed lists (the lists section) are configured: then the file is only the bootstrap list for the next start. The file is re-read on every reload_config, even under the same name.',
      ),
    })
    .prefault({}),
  'The national transit QR code (JT/T 1179, version 0x80) beside FG1: its root keys. The deny list, the replay memory and the token settings are shared with FG1.',
);

export const GroupSchema = section(
  z.strictObject({
    id: setting(
      z.string().regex(DEVICE_ID_PATTERN, `must be ${DEVICE_ID_RULE}`),
      `The group this gate shares its replay memory with (a station, a bus with two doors): ${DEVICE_ID_RULE}. Accepts are announced on P/groups/<id>/accepts.`,
      'restart',
    ),
    keys: setting(
      z.string().min(1),
      "JWK Set file of the public keys of the group's gates, kid = device id (this gate's own key included). Relative paths are relative to the settings file.",
      'restart',
    ),
    signingKey: setting(
      z.string().min(1),
      "This gate's private key (a JWK file, Ed25519 or P-256) that signs its announcements. Relative paths are relative to the settings file.",
      'restart',
    ),
    maxQueued: setting(
      z.number().int().min(1).max(100_000).default(10_000),
      'Announcements kept while the broker cannot be reached (sent on reconnect); beyond it the oldest are dropped.',
      'restart',
    ),
  }),
  'Shared replay memory within a group of gates over MQTT (docs/replay-sharing.md): a code accepted at one gate of the group is refused as replay at the others. Needs mqtt.',
);

export const HealthSchema = section(
  z
    .strictObject({
      httpPort: setting(
        z.number().int().min(1).max(65535).optional(),
        'Port of GET /healthz (200 healthy, 503 not) and GET /metrics (Prometheus); absent = no HTTP endpoint.',
        'restart',
      ),
      host: setting(
        z.string().min(1).default('127.0.0.1'),
        'Address /healthz and /metrics listen on; keep it on loopback unless Prometheus scrapes from elsewhere.',
        'restart',
      ),
      scannerGraceMs: setting(
        ms.default(30_000),
        'A scanner that is not up counts as unhealthy only after this many milliseconds (replug, USB reset).',
        'restart',
      ),
      sdNotify: setting(
        z.boolean().default(true),
        'Tell systemd READY, WATCHDOG and STOPPING when NOTIFY_SOCKET is set (uses the systemd-notify binary).',
        'restart',
      ),
    })
    .prefault({}),
  'Health for systemd and Docker: an HTTP /healthz endpoint (off unless httpPort is set) and sd_notify.',
);

export const DisplaySchema = section(
  z
    .strictObject({
      enabled: setting(
        z.boolean().default(false),
        "Serve the passenger display (one page and its live outcomes) for a kiosk browser on the gate's screen (docs/display.md).",
        'restart',
      ),
      host: setting(
        z.string().min(1).default('127.0.0.1'),
        'Address the display listens on; keep it on loopback (the kiosk browser runs on the same board).',
        'restart',
      ),
      port: setting(
        z.number().int().min(0).max(65535).default(8090),
        'Port of the passenger display page (http://host:port/); 0 picks a free port (tests).',
        'restart',
      ),
      language: setting(
        z
          .array(z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as zh-CN or en'))
          .min(1)
          .max(3)
          .default(['zh-CN', 'en']),
        'Languages shown together, first one largest (and spoken in this order); each needs texts.<language>.json in the texts folder.',
        'restart',
      ),
      showFare: setting(
        z.boolean().default(true),
        'Show the fare (and "free" for a concession that pays nothing) on the accept screen; false shows the concession name only.',
        'restart',
      ),
      acceptHoldMs: setting(
        z.number().int().min(300).max(30_000).default(1500),
        'How long in milliseconds the accept screen stays before the idle screen returns (a new tap replaces it at once).',
        'restart',
      ),
      rejectHoldMs: setting(
        z.number().int().min(1000).max(60_000).default(4000),
        'How long in milliseconds a refusal stays on the screen, long enough to read (a new tap replaces it at once).',
        'restart',
      ),
      sounds: setting(
        z.enum(['speech', 'tone', 'off']).default('speech'),
        'speech: a tone per outcome, then the spoken prompt in each language; tone: the tone only; off: silent.',
        'restart',
      ),
      texts: setting(
        z.string().min(1).optional(),
        "Folder of the operator's display texts (texts.<language>.json) and sounds (sounds/); absent = the texts and sounds shipped in config/display. Relative paths are relative to the settings file.",
        'restart',
      ),
    })
    .prefault({}),
  "The passenger display: a page served on loopback for a kiosk browser on the gate's screen, one screen per outcome, bilingual, with sounds (docs/display.md).",
);

const listFileNote =
  'unless signed lists (the lists section) are configured: then the file is only the bootstrap list for the next start and a change needs a restart. The file is re-read on every reload_config, even under the same name.';

export const ConfigSchema = z
  .strictObject({
    deviceId: setting(
      z.string().regex(DEVICE_ID_PATTERN, `must be ${DEVICE_ID_RULE}`),
      `This validator's name, unique in the fleet: ${DEVICE_ID_RULE}. It names the device in MQTT topics and on every tap.`,
      'restart',
    ),
    mode: setting(
      z.enum(SERVICE_MODES),
      'bus: a reader on a bus (flat fares); metro: a station gate (entry/exit).',
      'restart',
    ),
    place: setting(
      z.string().min(1).max(64),
      'Route id (bus) or station id (metro), as the backend knows it; recorded on every tap.',
      'restart',
    ),
    direction: setting(
      z.enum(DIRECTIONS),
      'A bus reader has board; a metro gate has in (entry) or out (exit).',
      'restart',
    ),
    scanner: ScannerSchema,
    trust: section(
      z.strictObject({
        file: setting(
          z.string().min(1),
          'JSON file with the trust list: the JWK Set of the issuer public keys ride codes are checked against. Relative paths are relative to the settings file.',
          'live',
          listFileNote,
        ),
      }),
      'The issuer keys this validator trusts (from the operator).',
    ),
    deny: section(
      z
        .strictObject({
          file: setting(
            z.string().min(1),
            'JSON file with the deny list: {"sub": [...], "cti": [...]} of blocked accounts and credentials. Relative paths are relative to the settings file.',
            'live',
            listFileNote,
          ),
        })
        .optional(),
      'The blocked accounts and credentials; absent = nobody is blocked (until signed lists bring a deny list).',
    ),
    jtt: JttSchema,
    lists: ListsSchema.optional(),
    group: GroupSchema.optional(),
    dataDir: setting(
      z.string().min(1),
      'Folder of the local tap store (SQLite) and the command ledger; must be writable and survive restarts.',
      'restart',
    ),
    store: section(
      z
        .strictObject({
          synchronous: setting(
            z.enum(['NORMAL', 'FULL']).default('NORMAL'),
            'How durable a committed tap is: NORMAL survives a crash or kill of the process; FULL also survives power loss (one fsync per tap, slower on SD cards). Use FULL without a UPS.',
            'restart',
          ),
        })
        .prefault({}),
      'The local tap store.',
    ),
    token: section(
      z
        .strictObject({
          skew: setting(
            seconds.default(DEFAULT_PARAMS.skew),
            "Clock tolerance in seconds between the rider's phone and this validator.",
            'live',
            'up to the value the service started with; more needs a restart, since the replay memory would have to hold codes longer (exactly: while max(codeValidity, 3600) + 2 × skew stays within its value at start).',
          ),
          codeValidity: setting(
            z.number().positive().default(DEFAULT_PARAMS.codeValidity),
            'How long in seconds a ride code is valid when its credential carries no validity (cv) of its own.',
            'live',
            `up to ${MAX_CODE_VALIDITY} s, or up to the value the service started with if that was larger; more needs a restart, since the replay memory would have to hold codes longer (exactly: while max(codeValidity, ${MAX_CODE_VALIDITY}) + 2 × skew stays within its value at start).`,
          ),
          duplicateWindow: setting(
            seconds.default(DEFAULT_PARAMS.duplicateWindow),
            'A second read of the same code or rider within this many seconds is ignored silently (a rider holding the phone on the reader).',
            'restart',
          ),
          credentialCacheSize: setting(
            z.number().int().nonnegative().default(DEFAULT_PARAMS.credentialCacheSize),
            'Verified credentials kept in memory to skip a second signature check; 0 disables the cache.',
            'restart',
          ),
          riderKeyCacheSize: setting(
            z.number().int().nonnegative().default(DEFAULT_PARAMS.riderKeyCacheSize),
            'Imported rider phone keys kept in memory; 0 disables the cache.',
            'restart',
          ),
          replayCapacity: setting(
            z.number().int().positive().default(DEFAULT_PARAMS.replayCapacity),
            'Accepted ride codes remembered to catch a replayed (copied) code; bounds memory. Raise it for very busy gates.',
            'restart',
          ),
        })
        .prefault({}),
      "Ride-code checks (qr-token-v1 device parameters). The defaults are the spec's; change them only on the operator's instruction.",
    ),
    fare: section(
      z
        .strictObject({
          currency: setting(
            z
              .string()
              .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as CNY')
              .default('CNY'),
            'ISO 4217 currency code of the fares, e.g. CNY.',
            'live',
          ),
          bus: section(
            FareTable.optional(),
            "Bus: flat fare per fare profile in minor units, capped by the credential's cap; a profile not listed pays the adult fare. Required on a bus reader.",
          ),
          metroOut: section(
            FareTable.optional(),
            'Metro exit gates: a flat fare when the validator prices the journey itself; absent = the backend prices it from entry and exit.',
          ),
        })
        .prefault({}),
      'What a tap costs.',
    ),
    gate: GateSchema.prefault({ driver: 'console' }),
    mqtt: MqttSchema.optional(),
    settlement: SettlementSchema.prefault({}),
    commands: section(
      z
        .strictObject({
          operatorKeys: setting(
            z.string().min(1).optional(),
            'JWK Set file of the operator public keys remote commands must be signed with; absent = remote commands disabled. Relative paths are relative to the settings file.',
            'live',
            'when it names another key file (the file is re-read on every reload_config); turning remote commands on or off needs a restart.',
          ),
          skewSeconds: setting(
            seconds.max(600).default(30),
            "Clock tolerance in seconds for a command's issuedAt and expiresAt (at most 600).",
            'live',
          ),
          maxLifetimeSeconds: setting(
            z
              .number()
              .int()
              .min(1)
              .max(7 * 86400)
              .default(3600),
            'Longest accepted expiresAt − issuedAt of a command in seconds (bounds how long seen command ids are kept).',
            'live',
          ),
        })
        .prefault({}),
      'Signed remote commands on P/gates/D/cmd (docs/remote-commands.md). Need mqtt.',
    ),
    policy: section(
      z
        .strictObject({
          antiPassbackSeconds: setting(
            z.number().int().nonnegative().default(600),
            'Metro in gates: the same account entering again at this gate within this many seconds is refused (one ride code cannot let two people in); 0 disables.',
            'live',
          ),
          maxJourneySeconds: setting(
            z.number().int().min(60).default(14_400),
            'Metro out gates: how far back in seconds an entry in this store matches an exit (else the exit is flagged no_entry).',
            'live',
          ),
        })
        .prefault({}),
      'Gate policy: metro anti-passback and exit matching.',
    ),
    health: HealthSchema,
    display: DisplaySchema,
    log: section(
      z
        .strictObject({
          level: setting(
            z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
            'Least severe log messages written. debug and trace are for diagnosis only.',
            'live',
          ),
          format: setting(
            z.enum(['json', 'pretty']).default('json'),
            'json: one JSON object a line (journald, Docker); pretty: readable at a terminal.',
            'restart',
          ),
        })
        .prefault({}),
      'Logging. Logs never contain whole ride codes or keys.',
    ),
  })
  .superRefine((c, ctx) => {
    for (const p of modeProblems(c)) ctx.addIssue({ code: 'custom', ...p });
  });

const WRONG_DIRECTION: Record<(typeof SERVICE_MODES)[number], string> = {
  bus: 'a bus reader has direction board',
  metro: 'a metro gate has direction in or out',
};

function isOneOf<T extends string>(words: readonly T[], v: unknown): v is T {
  return typeof v === 'string' && (words as readonly string[]).includes(v);
}

/**
 * Checks across fields: the direction fits the mode, a bus reader has fares. Looks only at
 * values that are valid themselves, so the loader also runs it on the raw file when other fields
 * are wrong (zod skips this refinement then) and every problem is listed at once.
 */
export function modeProblems(c: unknown): { path: string[]; message: string }[] {
  if (typeof c !== 'object' || c === null) return [];
  const { mode, direction, fare } = c as { mode?: unknown; direction?: unknown; fare?: unknown };
  const out: { path: string[]; message: string }[] = [];
  if (isOneOf(SERVICE_MODES, mode) && isOneOf(DIRECTIONS, direction) && !DIRECTIONS_OF[mode].includes(direction)) {
    out.push({ path: ['direction'], message: WRONG_DIRECTION[mode] });
  }
  const bus =
    typeof fare === 'object' && fare !== null ? (fare as { bus?: unknown }).bus : fare === undefined ? undefined : null;
  if (mode === 'bus' && bus === undefined)
    out.push({ path: ['fare', 'bus'], message: 'a bus reader needs a fare table (fare.bus.adult at least)' });
  return out;
}

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
export type GateConfig = Config['gate'];
export type ScannerConfig = Config['scanner'];
export type MqttConfig = NonNullable<Config['mqtt']>;
export type SettlementConfig = Config['settlement'];
export type ListsConfig = NonNullable<Config['lists']>;
export type GroupConfig = NonNullable<Config['group']>;
export type JttConfig = Config['jtt'];
export type DisplayConfig = Config['display'];

/**
 * The defaults of settings that code outside the settings needs (the serial line of a scanner
 * transport built without settings, the simulator's model of a gate), read from the schema
 * above: defaults are written there only.
 */
export const SETTING_DEFAULTS = {
  serial: {
    baudRate: ScannerSchema.shape.baudRate.parse(undefined),
    dataBits: ScannerSchema.shape.dataBits.parse(undefined),
    parity: ScannerSchema.shape.parity.parse(undefined),
    stopBits: ScannerSchema.shape.stopBits.parse(undefined),
  },
  scannerReconnect: ScannerSchema.shape.reconnect.parse(undefined),
  token: ConfigSchema.shape.token.parse(undefined),
  policy: ConfigSchema.shape.policy.parse(undefined),
} as const;
