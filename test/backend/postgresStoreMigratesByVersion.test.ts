/**
 * The PostgreSQL settlement store's schema is versioned (`schema_migrations`, one transaction per
 * step): a fresh database gets every step, a second open applies none, a store written by a newer
 * faregate is refused before anything is touched, and a report never creates a schema.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PG_BACKEND_MIGRATIONS } from '../../src/backend/pgMigrations.ts';
import { latestPgVersion, PgStore } from '../../src/backend/pgStore.ts';
import { isFaregateError } from '../../src/errors/faregateError.ts';
import { runFaregate } from '../support/cli.ts';
import { describeWithPostgres, startPostgres, type PostgresCluster } from '../support/postgres.ts';

describeWithPostgres('PostgreSQL store migrations', () => {
  let pg: PostgresCluster;
  beforeAll(async () => {
    pg = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await pg?.destroy();
  });

  it('a fresh database gets every step, recorded in schema_migrations; opening again applies none', async () => {
    const url = await pg.createDatabase('fresh');
    const store = new PgStore({ url });
    await store.open();
    const r = await store.migrate();
    expect(r).toMatchObject({ from: latestPgVersion(), to: latestPgVersion(), applied: [] });
    await store.close();
    const rows = await pg.query<{ version: number; what: string }>(
      'SELECT version, what FROM schema_migrations ORDER BY version',
      [],
      'fresh',
    );
    expect(rows).toEqual(PG_BACKEND_MIGRATIONS.map((m) => ({ version: m.version, what: m.what })));
    const tables = await pg.query<{ t: string }>(
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
      [],
      'fresh',
    );
    expect(tables.map((x) => x.t)).toEqual(['device_counters', 'schema_migrations', 'settled_taps']);
  });

  it('two stores opening a fresh database at once migrate it once', async () => {
    const url = await pg.createDatabase('together');
    const a = new PgStore({ url });
    const b = new PgStore({ url });
    await Promise.all([a.open(), b.open()]);
    await Promise.all([a.close(), b.close()]);
    const rows = await pg.query('SELECT version FROM schema_migrations', [], 'together');
    expect(rows).toHaveLength(PG_BACKEND_MIGRATIONS.length);
  });

  it('refuses a store with a newer schema (STORE_SCHEMA_NEWER) and leaves it as it was', async () => {
    const url = await pg.createDatabase('newer');
    const newer = [
      ...PG_BACKEND_MIGRATIONS,
      { version: latestPgVersion() + 1, what: 'future', up: 'CREATE TABLE f (x int)' },
    ];
    await new PgStore({ url, migrations: newer }).open().then((s) => s.close());
    const err = await new PgStore({ url })
      .open()
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(isFaregateError(err, 'STORE_SCHEMA_NEWER')).toBe(true);
    expect(String((err as Error).message)).toContain(`schema ${latestPgVersion() + 1}, newer than this program`);
    expect(String((err as Error).message)).not.toContain('password');
    const rows = await pg.query('SELECT version FROM schema_migrations', [], 'newer');
    expect(rows).toHaveLength(newer.length);

    const cli = await runFaregate(['backend', 'report', '--db', url]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('FG-203');
  });

  it('a report on a database without the schema says so and creates nothing', async () => {
    const url = await pg.createDatabase('empty');
    const cli = await runFaregate(['backend', 'report', '--db', url]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('is not a faregate backend store (schema 0)');
    const tables = await pg.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
      [],
      'empty',
    );
    expect(tables).toEqual([]);
  });

  it('an unreachable database is a one-line failure, exit 1, with the password hidden', async () => {
    const url = `postgres://faregate:s3cret@127.0.0.1:${pg.port + 1}/nowhere`;
    const cli = await runFaregate(['backend', 'report', '--db', url]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('FG-201');
    expect(cli.stderr).toContain('faregate:***@');
    expect(cli.stderr).not.toContain('s3cret');
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
  });
});
