/**
 * `faregate dashboard`: the fleet as a web page (src/dashboard), from the same broker messages
 * and the same FleetModel as `faregate monitor`. Bound to 127.0.0.1 by default; any other
 * address needs `--token FILE`. Read-only unless `--operator-key FILE` is given.
 * Unusable arguments exit 2; no broker or no port exits 1.
 */
import { z } from 'zod';
import { DashboardServer, isLoopbackHost } from '../../dashboard/dashboardServer.ts';
import { errorMessage } from '../../errors/faregateError.ts';
import type { FleetSourceOptions } from '../../monitor/mqttFleetSource.ts';
import { readText } from '../files.ts';
import type { CliIo } from '../io.ts';
import { loadJwk } from '../keyFiles.ts';
import { DASHBOARD } from '../spec/dashboard.ts';
import { numberArg, parseCommand, UsageError } from '../usage.ts';
import { FLEET_BROKER_ARGS } from './monitor.ts';

const Args = z
  .object({
    ...FLEET_BROKER_ARGS,
    http: numberArg.pipe(z.number().int('must be a whole port number').min(0).max(65535)),
    host: z.string().min(1),
    sample: numberArg.pipe(z.number().int('must be whole seconds').min(1).max(60)),
    token: z.string().min(1).optional(),
    'operator-key': z.string().min(1).optional(),
    username: z.string().min(1).optional(),
    'password-file': z.string().min(1).optional(),
    ca: z.string().min(1).optional(),
    insecure: z.boolean().default(false),
  })
  .refine((a) => a['password-file'] === undefined || a.username !== undefined, {
    message: 'needs --username',
    path: ['password-file'],
  })
  .refine((a) => a.token !== undefined || isLoopbackHost(a.host), {
    message: 'is not a loopback address: a dashboard reachable from elsewhere needs --token FILE',
    path: ['host'],
  });

export async function dashboardCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: a } = parseCommand(DASHBOARD, argv, Args);
  const source: FleetSourceOptions = { url: a.mqtt, prefix: a.prefix, protocolVersion: a.protocol === '5' ? 5 : 4 };
  if (a.username !== undefined) source.username = a.username;
  if (a['password-file'] !== undefined)
    source.password = readText(a['password-file'], 'dashboard: --password-file').replace(/\r?\n$/, '');
  if (a.ca !== undefined) source.ca = readText(a.ca, 'dashboard: --ca');
  if (a.insecure) source.rejectUnauthorized = false;
  let token: string | undefined;
  if (a.token !== undefined) {
    token = readText(a.token, 'dashboard: --token').trim();
    if (token.length < 16 || /\s/.test(token))
      throw new UsageError(`dashboard: --token ${a.token}: the token must be 16 or more characters, no spaces`);
  }
  const server = new DashboardServer({
    source,
    host: a.host,
    port: a.http,
    sampleMs: a.sample * 1000,
    ...(token !== undefined ? { token } : {}),
    ...(a['operator-key'] !== undefined ? { operatorKey: operatorSigner(a['operator-key']) } : {}),
  });
  let url: string;
  try {
    url = await server.start();
  } catch (e) {
    await server.stop();
    io.error(`faregate dashboard: ${errorMessage(e)}`);
    return 1;
  }
  const mode = a['operator-key'] !== undefined ? 'signed commands enabled (each confirmed on the page)' : 'read-only';
  await io.writeLine(`faregate dashboard: ${url} (${mode}${token !== undefined ? '; open /?token=… once' : ''})`);
  return new Promise<number>((resolve) => {
    const stop = () => void server.stop().then(() => resolve(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function operatorSigner(file: string) {
  const key = loadJwk(file, 'dashboard: --operator-key', true);
  if (!key.jwk.kid) throw new UsageError(`dashboard: --operator-key ${file}: the key has no kid`);
  return { alg: key.alg, kid: key.jwk.kid, privateKey: key.privateKey! };
}
