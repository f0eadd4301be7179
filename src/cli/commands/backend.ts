/**
 * `faregate backend`: the reference settlement backend (settlement-mqtt-v1) until SIGINT/SIGTERM;
 * `faregate backend report`: settled taps and fares per day, device, profile and currency.
 * Unusable arguments or files exit 2 with one line; a failure to connect/subscribe exits 1.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { BackendStore, type Report } from '../../backend/backendStore.ts';
import { METRICS_ARGS, startBackendMetrics } from '../../backend/backendMetrics.ts';
import { DEFAULT_SHARED_GROUP, SettlementBackend, type BackendTlsOptions } from '../../backend/settlementBackend.ts';
import type { Logger } from '../../platform/logger.ts';
import { createLogger } from '../../platform/pinoLogger.ts';
import type { JwsSigner } from '../../lists/jws.ts';
import { readText } from '../files.ts';
import { loadJwk } from '../keyFiles.ts';
import { table } from '../table.ts';
import type { CliIo } from '../io.ts';
import { BACKEND, BACKEND_REPORT } from '../spec/backend.ts';
import { parseCommand, UsageError } from '../usage.ts';
import { errorFields, errorMessage, systemErrorCode } from '../../errors/faregateError.ts';

// eslint-disable-next-line no-control-regex -- NUL is what an MQTT topic must not hold
const TOPIC_LEVELS = /^[^+#\u0000]+$/;

const RunArgs = z
  .object({
    mqtt: z.string({ error: 'is required' }).regex(/^mqtts?:\/\/[^\s]+$/, 'must be an mqtt:// or mqtts:// URL'),
    db: z.string({ error: 'is required' }).min(1),
    prefix: z
      .string()
      .regex(TOPIC_LEVELS, 'must not contain + # or NUL')
      .refine(
        (p) => !p.startsWith('/') && !p.endsWith('/') && !p.startsWith('$'),
        'must not start or end with / or start with $',
      ),
    'client-id': z
      .string()
      .regex(/^[\x21-\x7e]{1,128}$/, 'must be 1..128 printable ASCII characters')
      .optional(),
    protocol: z.enum(['4', '5'], { error: 'must be 4 (MQTT 3.1.1) or 5' }),
    'shared-group': z
      .string()
      .regex(/^[^/+#\s]{1,64}$/, 'must be 1..64 characters without / + # or spaces')
      .optional(),
    'no-shared': z.boolean().default(false),
    username: z.string().min(1).optional(),
    'password-file': z.string().min(1).optional(),
    ca: z.string().min(1).optional(),
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    servername: z.string().min(1).optional(),
    insecure: z.boolean().default(false),
    'ack-key': z.string().min(1).optional(),
    'log-level': z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']),
    ...METRICS_ARGS,
  })
  .refine((a) => !(a['no-shared'] && a['shared-group'] !== undefined), {
    message: 'give either --shared-group or --no-shared',
    path: ['no-shared'],
  })
  .refine((a) => a['password-file'] === undefined || a.username !== undefined, {
    message: 'needs --username',
    path: ['password-file'],
  })
  .refine((a) => (a.cert === undefined) === (a.key === undefined), {
    message: 'give --cert and --key together',
    path: ['cert'],
  })
  .refine((a) => a.mqtt.startsWith('mqtts://') || ((a.ca ?? a.cert ?? a.servername) === undefined && !a.insecure), {
    message: 'TLS options need an mqtts:// URL',
    path: ['mqtt'],
  });

const ReportArgs = z.object({
  db: z.string({ error: 'is required' }).min(1),
  json: z.boolean().default(false),
});

export async function backendCommand(argv: string[], io: CliIo): Promise<number> {
  if (argv[0] === 'report') return reportCommand(argv.slice(1), io);
  const { values: a } = parseCommand(BACKEND, argv, RunArgs);

  const password =
    a['password-file'] !== undefined
      ? readText(a['password-file'], 'backend: --password-file').replace(/\r?\n$/, '')
      : undefined;
  let tls: BackendTlsOptions | undefined;
  if (a.mqtt.startsWith('mqtts://')) {
    tls = { rejectUnauthorized: !a.insecure };
    if (a.ca !== undefined) tls.ca = readText(a.ca, 'backend: --ca');
    if (a.cert !== undefined) tls.cert = readText(a.cert, 'backend: --cert');
    if (a.key !== undefined) tls.key = readText(a.key, 'backend: --key');
    if (a.servername !== undefined) tls.servername = a.servername;
  }

  const ackSigner = a['ack-key'] !== undefined ? loadAckSigner(a['ack-key']) : undefined;

  const clientId =
    a['client-id'] ??
    `faregate-backend-${hostname()
      .replace(/[^\x21-\x7e]/g, '_')
      .slice(0, 64)}`;
  const logger = createLogger({
    level: a['log-level'],
    format: process.stdout.isTTY ? 'pretty' : 'json',
    base: { clientId },
  });
  const store = openStore(a.db, false, logger);

  const backend = new SettlementBackend({
    url: a.mqtt,
    store,
    clientId,
    prefix: a.prefix,
    protocolVersion: a.protocol === '4' ? 4 : 5,
    sharedGroup: a['no-shared'] ? false : (a['shared-group'] ?? DEFAULT_SHARED_GROUP),
    ...(a.username !== undefined ? { username: a.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(tls ? { tls } : {}),
    ...(ackSigner ? { ackSigner } : {}),
    logger,
  });
  backend.on('error', (err) => logger.error({ err: err.message }, 'backend error'));
  const metrics = await startBackendMetrics({ backend, store, args: a, log: logger });

  let stopping: Promise<void> | undefined;
  const stop = (signal: string): Promise<void> => {
    if (!stopping) {
      logger.info({ signal }, 'stopping');
      stopping = backend
        .stop()
        .finally(() => store.close())
        .finally(() => metrics?.close());
    }
    return stopping;
  };
  const done = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      stop(signal).then(
        () => resolve(0),
        (err: Error) => {
          logger.error({ err: err.message }, 'error while stopping');
          resolve(1);
        },
      );
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  logger.info(
    {
      url: redactUrl(a.mqtt),
      db: a.db,
      subscription: backend.subscription,
      protocol: a.protocol,
      acks: ackSigner ? `signed (kid ${ackSigner.kid})` : 'unsigned (v1)',
    },
    'settlement backend starting',
  );
  try {
    await backend.start();
  } catch (e) {
    if (stopping) return done;
    logger.fatal(errorFields(e), 'cannot start the settlement backend');
    await stop('startup failure');
    return 1;
  }
  return done;
}

/** The ack signing key: a private JWK (as `faregate keys generate --out` writes it); its `kid` is the JWS kid. */
function loadAckSigner(file: string): JwsSigner {
  const k = loadJwk(file, 'backend: --ack-key', true);
  if (k.jwk.kid === undefined) throw new UsageError(`backend: --ack-key ${file}: the JWK needs a "kid"`);
  return { alg: k.alg, kid: k.jwk.kid, privateKey: k.privateKey! };
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

function openStore(file: string, readonly: boolean, logger?: Logger): BackendStore {
  const store = new BackendStore({ file, readonly, ...(logger ? { logger } : {}) });
  try {
    store.open();
  } catch (e) {
    const why = systemErrorCode(e) === 'SQLITE_CANTOPEN' ? 'no such store' : errorMessage(e).split('\n')[0];
    throw new UsageError(`backend: --db ${file}: ${why}`, 'USAGE', { cause: e });
  }
  return store;
}

async function reportCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: a } = parseCommand(BACKEND_REPORT, argv, ReportArgs);
  const store = openStore(a.db, true);
  let report: Report;
  try {
    report = store.report();
  } finally {
    store.close();
  }
  if (a.json) {
    await io.writeLine(JSON.stringify(report));
    return 0;
  }
  for (const line of formatReport(report)) await io.writeLine(line);
  return 0;
}

/** The report as a readable table (fares in the currency's minor unit, as on the wire). */
export function formatReport(r: Report): string[] {
  const out: string[] = [];
  if (r.rows.length === 0) out.push('no settled taps');
  else
    out.push(
      ...table(
        ['day (UTC)', 'device', 'profile', 'currency', 'taps', 'priced', 'fares (minor units)'],
        r.rows.map((x) => [x.day, x.deviceId, x.profile, x.currency, x.taps, x.priced, x.fareTotal]),
        new Set([2, 4, 5, 6]),
      ),
    );
  const totals = Object.entries(r.totals.fareTotals)
    .map(([c, v]) => `${v} ${c}`)
    .join(', ');
  out.push('', `total: ${r.totals.taps} taps, ${r.totals.priced} priced${totals ? `, fares ${totals}` : ''}`);
  if (r.devices.length) {
    out.push('');
    out.push(
      ...table(
        ['device', 'batches', 'malformed', 'taps', 'duplicates', 'conflicts'],
        r.devices.map((d) => [d.deviceId, d.batches, d.malformed, d.taps, d.duplicates, d.conflicts]),
        new Set([1, 2, 3, 4, 5]),
      ),
    );
  }
  return out;
}
