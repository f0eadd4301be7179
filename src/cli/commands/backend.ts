/**
 * `faregate backend`: the reference settlement backend (settlement-mqtt-v1) until SIGINT/SIGTERM;
 * `faregate backend report`: src/cli/commands/backendReport.ts.
 * `--db` is a SQLite file or a `postgres://` / `postgresql://` URL (src/backend/openStore.ts).
 * Unusable arguments or files exit 2 with one line; a failure to connect/subscribe exits 1.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { openSettlementStore } from '../../backend/openStore.ts';
import { isPostgresUrl, redactDbUrl, type SettlementStore } from '../../backend/settlementStore.ts';
import { METRICS_ARGS, startBackendMetrics, type BackendMetricsSource } from '../../backend/backendMetrics.ts';
import { DEFAULT_SHARED_GROUP, SettlementBackend, type BackendTlsOptions } from '../../backend/settlementBackend.ts';
import type { Logger } from '../../platform/logger.ts';
import { createLogger } from '../../platform/pinoLogger.ts';
import type { JwsSigner } from '../../lists/jws.ts';
import { readText } from '../files.ts';
import { loadJwk } from '../keyFiles.ts';
import type { CliIo } from '../io.ts';
import { BACKEND } from '../spec/backend.ts';
import { parseCommand, UsageError } from '../usage.ts';
import {
  errorFields,
  errorMessage,
  FaregateError,
  isFaregateError,
  systemErrorCode,
} from '../../errors/faregateError.ts';

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
    'db-password-file': z.string().min(1).optional(),
    lanes: z
      .string()
      .regex(/^(?:[1-9]|1[0-6])$/, 'must be a whole number from 1 to 16')
      .transform(Number)
      .default(1),
    'log-level': z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']),
    ...METRICS_ARGS,
  })
  .refine((a) => !(a['no-shared'] && a['shared-group'] !== undefined), {
    message: 'give either --shared-group or --no-shared',
    path: ['no-shared'],
  })
  .refine((a) => a.lanes === 1 || (a.protocol === '5' && !a['no-shared']), {
    message: 'more than one lane needs an MQTT 5 shared subscription (not --no-shared nor --protocol 4)',
    path: ['lanes'],
  })
  .refine((a) => a['db-password-file'] === undefined || isPostgresUrl(a.db), {
    message: 'needs a postgres:// --db',
    path: ['db-password-file'],
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

export async function backendCommand(argv: string[], io: CliIo): Promise<number> {
  if (argv[0] === 'report') return (await import('./backendReport.ts')).backendReportCommand(argv.slice(1), io);
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
  const dbPassword =
    a['db-password-file'] !== undefined
      ? readText(a['db-password-file'], 'backend: --db-password-file').replace(/\r?\n$/, '')
      : undefined;
  const store = await openStore(a.db, false, logger, clientId, dbPassword);

  // One MQTT session per lane, in the same shared group: each lane stores its batches one after
  // the other (the PUBACK follows the commit), so N lanes keep up to N batches committing at once.
  const lanes = Array.from({ length: a.lanes }, (_, i) => {
    const laneId = i === 0 ? clientId : `${clientId}.${i + 1}`;
    return new SettlementBackend({
      url: a.mqtt,
      store,
      clientId: laneId,
      prefix: a.prefix,
      protocolVersion: a.protocol === '4' ? 4 : 5,
      sharedGroup: a['no-shared'] ? false : (a['shared-group'] ?? DEFAULT_SHARED_GROUP),
      ...(a.username !== undefined ? { username: a.username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(tls ? { tls } : {}),
      ...(ackSigner ? { ackSigner } : {}),
      logger: a.lanes === 1 ? logger : logger.child({ lane: i + 1 }),
    });
  });
  const backend = lanes[0]!;
  for (const lane of lanes) lane.on('error', (err) => logger.error({ err: err.message }, 'backend error'));
  // The metrics of all lanes of this process, summed (one `/metrics` per process).
  const source: BackendMetricsSource = {
    get counters() {
      const sum = { ...lanes[0]!.counters };
      for (const lane of lanes.slice(1))
        for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += lane.counters[k];
      return sum;
    },
    get connected() {
      return lanes.every((lane) => lane.connected);
    },
    on(event, listener) {
      for (const lane of lanes) lane.on(event, listener);
      return source;
    },
  };
  const metrics = await startBackendMetrics({ backend: source, store, args: a, log: logger });

  let stopping: Promise<void> | undefined;
  const stop = (signal: string): Promise<void> => {
    if (!stopping) {
      logger.info({ signal }, 'stopping');
      stopping = Promise.all(lanes.map((lane) => lane.stop()))
        .then(() => undefined)
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
      db: redactDbUrl(a.db),
      store: store.kind,
      subscription: backend.subscription,
      protocol: a.protocol,
      acks: ackSigner ? `signed (kid ${ackSigner.kid})` : 'unsigned (v1)',
      ...(a.lanes > 1 ? { lanes: a.lanes } : {}),
    },
    'settlement backend starting',
  );
  try {
    await Promise.all(lanes.map((lane) => lane.start()));
  } catch (e) {
    if (stopping) return done;
    // The likely cause when only lanes fail: the broker keeps one session per account.
    const hint =
      a.lanes > 1
        ? {
            hint:
              'with --lanes N each lane is its own MQTT session (client ids ID, ID.2, ...); a broker that binds the ' +
              'client id to the username (use_username_as_clientid, as docs/deploy/mosquitto/mosquitto.conf does) ' +
              'keeps one session per account and closes the others: there, run one backend process per account',
          }
        : {};
    logger.fatal({ ...errorFields(e), ...hint }, 'cannot start the settlement backend');
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

/**
 * A SQLite file that cannot be used is a usage error (exit 2); a PostgreSQL database that cannot
 * be reached is a failure (exit 1, STORE_UNAVAILABLE: a supervisor restarts the backend), and a
 * store of another kind or a newer schema keeps its own code.
 */
async function openStore(
  db: string,
  readonly: boolean,
  logger?: Logger,
  applicationName?: string,
  password?: string,
): Promise<SettlementStore> {
  try {
    return await openSettlementStore(db, {
      readonly,
      ...(logger ? { logger } : {}),
      // pg_stat_activity then shows which backend process holds a connection.
      ...(applicationName !== undefined ? { applicationName: applicationName.slice(0, 63) } : {}),
      ...(password !== undefined ? { password } : {}),
    });
  } catch (e) {
    const where = redactDbUrl(db);
    if (isPostgresUrl(db)) {
      if (isFaregateError(e)) throw new FaregateError(e.code, `backend: --db ${where}: ${e.message}`, { cause: e });
      const why = errorMessage(e).split('\n')[0] || (systemErrorCode(e) ?? 'connection failed');
      throw new FaregateError('STORE_UNAVAILABLE', `backend: --db ${where}: cannot use the database: ${why}`, {
        cause: e,
      });
    }
    const why = systemErrorCode(e) === 'SQLITE_CANTOPEN' ? 'no such store' : errorMessage(e).split('\n')[0];
    throw new UsageError(`backend: --db ${where}: ${why}`, 'USAGE', { cause: e });
  }
}
