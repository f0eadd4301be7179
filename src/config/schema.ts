/**
 * The validator's settings (one YAML or JSON file, FAREGATE_* environment overrides).
 * Validated at start-up; on error the service refuses to start and lists every problem.
 */
import { z } from 'zod';
import { parseTcpTarget } from '../scanner/createTransport.ts';
import { DEFAULT_PARAMS } from '../token/params.ts';

const seconds = z.number().nonnegative();
const ms = z.number().int().nonnegative();
const minorUnits = z.number().int().nonnegative();

export const ScannerSchema = z.strictObject({
  /** Device path (e.g. /dev/serial/by-id/usb-…), or tcp://host:port for a network scanner. */
  path: z
    .string()
    .min(1)
    .superRefine((p, ctx) => {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) {
        try {
          parseTcpTarget(p);
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: (e as Error).message });
        }
      }
    }),
  baudRate: z.number().int().positive().default(9600),
  dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).default(8),
  parity: z.enum(['none', 'even', 'odd', 'mark', 'space']).default('none'),
  stopBits: z.union([z.literal(1), z.literal(1.5), z.literal(2)]).default(1),
  framing: z
    .strictObject({
      suffix: z.enum(['auto', 'cr', 'lf', 'crlf', 'custom', 'none']).default('auto'),
      customSuffix: z.string().min(1).optional(),
      interByteTimeoutMs: ms.default(50),
      staleFrameMs: ms.default(2000),
      maxFrameLength: z.number().int().min(16).max(65536).default(2048),
      stripAim: z.boolean().default(true),
    })
    .prefault({})
    .refine((f) => f.suffix !== 'custom' || f.customSuffix !== undefined, {
      message: 'customSuffix is required when suffix is custom',
      path: ['customSuffix'],
    }),
  reconnect: z
    .strictObject({ initialDelayMs: ms.default(250), maxDelayMs: ms.default(5000) })
    .prefault({}),
});

const FareTable = z.strictObject({
  adult: minorUnits,
  child: minorUnits.optional(),
  student: minorUnits.optional(),
  senior: minorUnits.optional(),
  disabled: minorUnits.optional(),
  staff: minorUnits.optional(),
});

export const GateSchema = z.discriminatedUnion('driver', [
  z.strictObject({ driver: z.literal('console'), timeoutMs: ms.default(500) }),
  z.strictObject({
    driver: z.literal('serial'),
    timeoutMs: ms.default(500),
    /** The relay or display board's serial port. */
    path: z.string().min(1),
    baudRate: z.number().int().positive().default(9600),
    /** Lines written for each outcome; `{message}`, `{text}`, `{fare}` and `{tapId}` are replaced. */
    commands: z
      .strictObject({
        open: z.string().default('OPEN {message}'),
        reject: z.string().default('REJECT {message}'),
        silent: z.string().optional(),
      })
      .prefault({}),
    lineEnding: z.enum(['cr', 'lf', 'crlf']).default('crlf'),
  }),
]);

export const MqttSchema = z.strictObject({
  /** mqtt://host:1883 or mqtts://host:8883 */
  url: z.string().regex(/^mqtts?:\/\/[^\s/]+(:\d+)?\/?$/, 'must be mqtt://host[:port] or mqtts://host[:port]'),
  /** Default: faregate-<deviceId>. */
  clientId: z.string().min(1).max(128).optional(),
  username: z.string().optional(),
  /** A file holding the password (keeps it out of the settings file). */
  passwordFile: z.string().optional(),
  tls: z
    .strictObject({
      ca: z.string().optional(),
      cert: z.string().optional(),
      key: z.string().optional(),
      servername: z.string().optional(),
      rejectUnauthorized: z.boolean().default(true),
    })
    .optional(),
  keepalive: z.number().int().min(5).max(3600).default(30),
  /** 4 = MQTT 3.1.1, 5 = MQTT 5. */
  protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4),
  topicPrefix: z
    .string()
    .regex(/^[^#+\s]+$/, 'must not contain wildcards or spaces')
    .refine((p) => !p.endsWith('/') && !p.startsWith('/'), 'must not start or end with /')
    .default('faregate/v1'),
  reconnectPeriodMs: ms.default(2000),
});

export const SettlementSchema = z.strictObject({
  /** Taps in one batch. */
  batchSize: z.number().int().min(1).max(1000).default(100),
  /** How long a new tap waits for others to share its batch. */
  lingerMs: ms.default(200),
  /** Time to wait for an ack before a batch's taps may be re-sent; doubles per failed attempt. */
  ackTimeoutMs: z.number().int().min(100).default(10_000),
  maxBackoffMs: z.number().int().min(100).default(300_000),
  /** Batches waiting for an ack at once. */
  maxInFlight: z.number().int().min(1).max(64).default(4),
  /** Upper bound on upload rate (taps/s), so a week's backlog drains without starving decisions. */
  maxTapsPerSecond: z.number().int().min(1).default(2000),
  /** Settled taps are purged after this many days, keeping at least `keepRecent` taps. */
  retentionDays: z.number().min(0).default(30),
  keepRecent: z.number().int().min(0).default(30_000),
  alarms: z
    .strictObject({
      unsettledCount: z.number().int().min(1).default(10_000),
      oldestUnsettledSeconds: z.number().int().min(1).default(3600),
      failedAttempts: z.number().int().min(1).default(5),
      /** Unsettled taps the store is sized for; an alarm is raised at 90 %. Taps are never dropped. */
      storeCapacity: z.number().int().min(1).default(1_000_000),
    })
    .prefault({}),
  metricsIntervalMs: z.number().int().min(1000).default(60_000),
});

/** Signed trust and deny lists over MQTT (docs/signed-lists.md). */
export const ListsSchema = z.strictObject({
  /** JWK Set of the root public keys that sign the lists (the JWS `kid` picks one). */
  rootKeys: z.string().min(1),
  /** A list older than this (now − its issuedAt; a file's mtime) is stale. */
  maxAgeSeconds: z
    .strictObject({
      trust: z.number().int().min(1).default(7 * 86_400),
      deny: z.number().int().min(1).default(86_400),
    })
    .prefault({}),
  /** accept_and_flag: accepted taps carry flags ["stale_lists"]; reject: accepts become rejects ('lists_stale', see staff). */
  stalePolicy: z.enum(['accept_and_flag', 'reject']).default('accept_and_flag'),
});

export const ConfigSchema = z.strictObject({
  deviceId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1..64 of A-Z a-z 0-9 _ -'),
  mode: z.enum(['bus', 'metro']),
  /** Route id (bus) or station id (metro). */
  place: z.string().min(1).max(64),
  direction: z.enum(['board', 'in', 'out']),
  scanner: ScannerSchema,
  trust: z.strictObject({ file: z.string().min(1) }),
  deny: z.strictObject({ file: z.string().min(1) }).optional(),
  /** Signed lists from `P/trust` and `P/deny`; the files above are the bootstrap lists. */
  lists: ListsSchema.optional(),
  dataDir: z.string().min(1),
  store: z
    .strictObject({
      /** NORMAL survives a process crash; FULL also survives power loss (one fsync per tap). */
      synchronous: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
    })
    .prefault({}),
  token: z
    .strictObject({
      skew: seconds.default(DEFAULT_PARAMS.skew),
      codeValidity: z.number().positive().default(DEFAULT_PARAMS.codeValidity),
      duplicateWindow: seconds.default(DEFAULT_PARAMS.duplicateWindow),
      credentialCacheSize: z.number().int().nonnegative().default(DEFAULT_PARAMS.credentialCacheSize),
      riderKeyCacheSize: z.number().int().nonnegative().default(DEFAULT_PARAMS.riderKeyCacheSize),
      replayCapacity: z.number().int().positive().default(DEFAULT_PARAMS.replayCapacity),
    })
    .prefault({}),
  fare: z
    .strictObject({
      currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as CNY').default('CNY'),
      /** Bus: flat fare per profile in minor units; a profile not listed pays the adult fare. */
      bus: FareTable.optional(),
      /** Metro exit: a flat fare where the validator prices the journey; absent = the backend prices it. */
      metroOut: FareTable.optional(),
    })
    .prefault({}),
  gate: GateSchema.default({ driver: 'console', timeoutMs: 500 }),
  /** The broker to settle taps through; without it taps stay in the local store. */
  mqtt: MqttSchema.optional(),
  settlement: SettlementSchema.prefault({}),
  /** Signed remote commands on `P/gates/D/cmd` (docs/remote-commands.md). */
  commands: z
    .strictObject({
      /** JWK Set file of the operator public keys commands must be signed with; absent = remote commands disabled. */
      operatorKeys: z.string().min(1).optional(),
      /** Clock tolerance for issuedAt/expiresAt, seconds. */
      skewSeconds: seconds.max(600).default(30),
      /** Longest accepted expiresAt − issuedAt, seconds (bounds how long seen ids are kept). */
      maxLifetimeSeconds: z.number().int().min(1).max(7 * 86400).default(3600),
    })
    .prefault({}),
  /** Gate policy (src/policy): metro anti-passback and exit matching. */
  policy: z
    .strictObject({
      /** Metro `in` gates: the same account entering again at this station within this many seconds is refused; 0 disables. */
      antiPassbackSeconds: z.number().int().nonnegative().default(600),
      /** Metro `out` gates: how far back an entry in this store matches an exit (else the exit is flagged no_entry). */
      maxJourneySeconds: z.number().int().min(60).default(14_400),
    })
    .prefault({}),
  /** Health for systemd and Docker (src/health): an HTTP /healthz endpoint (off unless httpPort is set) and sd_notify. */
  health: z
    .strictObject({
      /** Port of GET /healthz (200 healthy, 503 not); absent = no HTTP endpoint. */
      httpPort: z.number().int().min(1).max(65535).optional(),
      /** Address it listens on; keep it on loopback (Docker's HEALTHCHECK runs inside the container). */
      host: z.string().min(1).default('127.0.0.1'),
      /** A scanner that is not up counts as unhealthy only after this long (replug, USB reset). */
      scannerGraceMs: ms.default(30_000),
      /** Tell systemd READY/WATCHDOG/STOPPING when NOTIFY_SOCKET is set (uses the systemd-notify binary). */
      sdNotify: z.boolean().default(true),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
      /** json: one JSON object a line (journald, Docker); pretty: readable at a terminal. */
      format: z.enum(['json', 'pretty']).default('json'),
    })
    .prefault({}),
})
  .superRefine((c, ctx) => {
    const ok = c.mode === 'bus' ? c.direction === 'board' : c.direction === 'in' || c.direction === 'out';
    if (!ok)
      ctx.addIssue({
        code: 'custom',
        path: ['direction'],
        message: c.mode === 'bus' ? 'a bus reader has direction board' : 'a metro gate has direction in or out',
      });
    if (c.mode === 'bus' && c.fare.bus === undefined)
      ctx.addIssue({ code: 'custom', path: ['fare', 'bus'], message: 'a bus reader needs a fare table (fare.bus.adult at least)' });
  });

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
export type GateConfig = Config['gate'];
export type ScannerConfig = Config['scanner'];
export type MqttConfig = NonNullable<Config['mqtt']>;
export type SettlementConfig = Config['settlement'];
export type ListsConfig = NonNullable<Config['lists']>;
