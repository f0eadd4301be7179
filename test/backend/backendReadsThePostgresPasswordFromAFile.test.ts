/**
 * `faregate backend --db postgres://user@host/db --db-password-file FILE`: the password stays out
 * of the command line (and of `ps`); without it a server that asks for one is a one-line failure
 * at start (exit 1, FG-201), and the option is refused with a SQLite `--db` (exit 2).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runFaregate } from '../support/cli.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { describeWithPostgres, startPostgres, type PostgresCluster } from '../support/postgres.ts';
import { BackendProcess, killAllBackends } from './backendProcess.ts';
import { FakeGate, makeBatch, tempDir } from './fakeGate.ts';

describeWithPostgres('backend --db-password-file', () => {
  const secret = 'Pa55 w0rd:@/x';
  let pg: PostgresCluster;
  let broker: Mosquitto;
  const tmp = tempDir();
  const file = join(tmp.dir, 'db.password');
  beforeAll(async () => {
    [pg, broker] = await Promise.all([startPostgres({ password: secret }), startMosquitto()]);
    writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  }, 60_000);
  afterAll(async () => {
    await killAllBackends();
    await broker?.stop();
    await pg?.destroy();
    tmp.cleanup();
  });
  const bare = () => `postgres://faregate@127.0.0.1:${pg.port}/faregate`;

  it('with the file it migrates, settles and acks; the password is in no log line', async () => {
    const b = await BackendProcess.start({
      mqtt: broker.url,
      db: bare(),
      clientId: 'pw-backend',
      extraArgs: ['--db-password-file', file],
    });
    const gate = await FakeGate.connect(broker.url);
    try {
      const batch = makeBatch('gate-pw', 2);
      await gate.publish('gate-pw', batch);
      expect((await gate.waitForAck(batch.batchId)).ack.tapIds).toEqual(batch.taps.map((t) => t.id));
    } finally {
      await gate.close();
    }
    await b.kill('SIGTERM');
    expect((await b.exited).code).toBe(0);
    expect(JSON.stringify(b.lines)).not.toContain('Pa55');
    expect(b.lines.find((l) => l.msg === 'settlement backend starting')?.db).toBe(bare());
  });

  it('without it: exit 1 with one line naming the database, not a crash', async () => {
    const r = await runFaregate(['backend', '--mqtt', broker.url, '--db', bare()], {
      env: { ...process.env, PGPASSWORD: '' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('FG-201');
    expect(r.stderr).toContain(`--db ${bare()}: cannot use the database`);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('with a SQLite --db it is a usage error', async () => {
    const r = await runFaregate([
      'backend',
      '--mqtt',
      broker.url,
      '--db',
      join(tmp.dir, 'x.db'),
      '--db-password-file',
      file,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toContain('--db-password-file: needs a postgres:// --db');
  });
});
