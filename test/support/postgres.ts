/**
 * A throwaway PostgreSQL cluster for a test: `initdb` in a temporary folder, `pg_ctl start` on a
 * free loopback port with its unix socket in that folder, `fsync` on (real durability), trust
 * authentication for the `faregate` superuser. `initdb` refuses to run as root: when the test
 * runs as root, every PostgreSQL program runs as the `postgres` user (Debian's package creates it).
 *
 * Without PostgreSQL (no /usr/lib/postgresql/<v>/bin/initdb, or PG_BIN) the suites using
 * `describeWithPostgres` are skipped with a console line naming the package, never passed silently.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe } from 'vitest';
import { freePort } from './mosquitto.ts';

/** The folder of initdb/pg_ctl: PG_BIN, else the newest /usr/lib/postgresql/<v>/bin that has initdb. */
export const PG_BIN: string | undefined = (() => {
  if (process.env.PG_BIN) return existsSync(join(process.env.PG_BIN, 'initdb')) ? process.env.PG_BIN : undefined;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
})();

export const POSTGRES_AVAILABLE = PG_BIN !== undefined;

export const POSTGRES_MISSING =
  'PostgreSQL is not installed (Debian/Ubuntu package `postgresql`: no initdb under /usr/lib/postgresql/*/bin, ' +
  'nor PG_BIN): the PostgreSQL tests are SKIPPED. Install it with `apt-get install -y postgresql`.';

/** `describe` that runs only with PostgreSQL installed, and says so on the console when it is not. */
export function describeWithPostgres(name: string, fn: () => void): void {
  if (!POSTGRES_AVAILABLE) console.warn(`[skip] ${name}: ${POSTGRES_MISSING}`);
  describe.skipIf(!POSTGRES_AVAILABLE)(name, fn);
}

/** uid/gid to run PostgreSQL's programs under: the `postgres` user when we are root, else ourselves. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

function run(dir: string, program: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const as = runAs();
  return new Promise((resolve, reject) => {
    const child = spawn(join(PG_BIN!, program), args, {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' },
      ...(as ?? {}),
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(t);
      if (code === 0) resolve(out);
      else reject(new Error(`${program} ${args.join(' ')} exited ${code ?? signal}: ${out.slice(-2000)}`));
    });
  });
}

export interface PostgresCluster {
  /** `postgres://faregate@127.0.0.1:PORT/faregate` (with the password, when started with one). */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** The URL of another database of the cluster (created by `createDatabase`). */
  urlOf(database: string): string;
  createDatabase(database: string): Promise<string>;
  /** One query on a fresh connection (to the `faregate` database unless told). */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
    database?: string,
  ): Promise<R[]>;
  /** `pg_ctl restart`: `fast` (clients disconnected, clean shutdown) or `immediate` (like a crash). */
  restart(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Stops the server (the data stay until `destroy`). */
  stopServer(mode?: 'fast' | 'immediate'): Promise<void>;
  startServer(): Promise<void>;
  /** Stops the server and removes its folder. */
  destroy(): Promise<void>;
}

const started = new Set<string>();
process.once('exit', () => {
  // Last resort for a test that did not stop its cluster: SIGKILL the postmaster.
  for (const data of started) {
    try {
      const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

export interface StartPostgresOptions {
  /** Server settings (`-c name=value`) over the defaults. */
  settings?: Record<string, string>;
  /**
   * The `faregate` user's password: TCP connections then need it (scram-sha-256; the unix socket
   * stays trust), and `url`/`urlOf` carry it. Default: no password, trust everywhere.
   */
  password?: string;
}

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresCluster> {
  if (!PG_BIN) throw new Error(POSTGRES_MISSING);
  const dir = mkdtempSync(join(tmpdir(), 'faregate-pg-'));
  const as = runAs();
  if (as) chownSync(dir, as.uid, as.gid);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const auth = ['--auth=trust'];
  if (opts.password !== undefined) {
    const pwfile = join(dir, 'pwfile');
    writeFileSync(pwfile, `${opts.password}\n`, { mode: 0o600 });
    if (as) chownSync(pwfile, as.uid, as.gid);
    auth.splice(0, 1, '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`);
  }
  await run(dir, 'initdb', ['-D', data, '-U', 'faregate', ...auth, '--locale=C', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const conf: Record<string, string> = {
    listen_addresses: "'127.0.0.1'",
    unix_socket_directories: `'${dir}'`,
    fsync: 'on',
    synchronous_commit: 'on',
    max_connections: '60',
    ...opts.settings,
  };
  const options = [`-p ${port}`, ...Object.entries(conf).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
  const startServer = async () => {
    await run(dir, 'pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', '-o', options, 'start']);
    started.add(data);
  };
  const stopServer = async (mode: 'fast' | 'immediate' = 'fast') => {
    await run(dir, 'pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
    started.delete(data);
  };
  await startServer();
  const who = opts.password !== undefined ? `faregate:${encodeURIComponent(opts.password)}` : 'faregate';
  const urlOf = (database: string) => `postgres://${who}@127.0.0.1:${port}/${database}`;
  const query = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = [], database = 'faregate') => {
    const client = new pg.Client({ connectionString: urlOf(database) });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  const cluster: PostgresCluster = {
    url: urlOf('faregate'),
    port,
    dir,
    urlOf,
    async createDatabase(database) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database)) throw new Error(`bad database name ${database}`);
      await query(`CREATE DATABASE ${database}`, [], 'postgres');
      return urlOf(database);
    },
    query,
    async restart(mode = 'fast') {
      await run(dir, 'pg_ctl', ['-D', data, '-l', log, '-m', mode, '-w', '-t', '60', '-o', options, 'restart']);
    },
    stopServer,
    startServer,
    async destroy() {
      if (started.has(data)) await stopServer('immediate').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await query('CREATE DATABASE faregate', [], 'postgres');
  return cluster;
}
