/**
 * The signed lists a whole in-process gate held are in force after a restart without a broker
 * (they are persisted in dataDir and verified again at load); a tampered persisted list is
 * refused at load. (ListSync's own rules for this: listSyncInProcess.test.ts.)
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/mosquitto.ts';
import { makeRider } from '../support/riders.ts';
import {
  denyDelta,
  denySnapshot,
  devIssuerPublic,
  feed,
  makeIssuer,
  makeRoot,
  startGate,
  trustSnapshot,
  type TestGate,
} from './support.ts';

const gates: TestGate[] = [];
afterAll(async () => {
  for (const g of gates) await g.stop().catch(() => undefined);
});

describe('signed lists across a restart', () => {
  it('are in force offline after a restart; a tampered one is refused at load', async () => {
    const root = makeRoot();
    const issuer = makeIssuer();
    const newRider = issuer.rider();
    const deniedA = makeRider();
    const deniedB = makeRider();
    const g1 = await startGate({ root, deviceId: 'gate-restart-1' });
    gates.push(g1);
    await feed(g1, 'trust', trustSnapshot(root, 3, [devIssuerPublic(), issuer.jwk()]));
    await feed(g1, 'deny', denySnapshot(root, 1, { sub: [deniedA.sub] }));
    await feed(g1, 'deny', denyDelta(root, 2, 1, { cti: [], sub: [deniedB.sub] }));
    await g1.stop();
    const files = readdirSync(join(g1.dir, 'data', 'lists')).sort();
    expect(files).toEqual(['deny.delta.2.jws.json', 'deny.jws.json', 'trust.jws.json']);

    // Restart with the broker gone (nothing listens on the port).
    const dead = `mqtt://127.0.0.1:${await freePort()}`;
    const extra = { mqtt: { url: dead, reconnectPeriodMs: 200 } };
    const g2 = await startGate({ root, dir: g1.dir, deviceId: 'gate-restart-1', extra });
    gates.push(g2);
    expect(g2.svc.link?.connected).toBe(false);
    expect(g2.svc.status().lists?.trust).toMatchObject({ version: 3, source: 'signed', entries: 2 });
    expect(g2.svc.status().lists?.deny).toMatchObject({ version: 2, source: 'signed', entries: 2 });
    expect(await g2.tap(newRider.code())).toMatchObject({ decision: 'accept' });
    expect(await g2.tap(deniedA.code())).toMatchObject({ decision: 'reject', reason: 'denied' });
    expect(await g2.tap(deniedB.code())).toMatchObject({ decision: 'reject', reason: 'denied' });
    await g2.stop();

    // Tamper with the persisted deny snapshot (its payload no longer matches the signature).
    const file = join(g1.dir, 'data', 'lists', 'deny.jws.json');
    const env = JSON.parse(readFileSync(file, 'utf8')) as { payload: string };
    const payload = JSON.parse(Buffer.from(env.payload, 'base64url').toString()) as { sub: string[] };
    payload.sub = [];
    writeFileSync(
      file,
      JSON.stringify({ ...env, payload: Buffer.from(JSON.stringify(payload)).toString('base64url') }),
    );
    const g3 = await startGate({ root, dir: g1.dir, deviceId: 'gate-restart-1' });
    gates.push(g3);
    const deny = g3.svc.status().lists!.deny;
    expect(deny).toMatchObject({ version: 0, source: 'file', entries: 0 });
    expect(deny.lastRefused).toMatchObject({ source: 'disk' });
    // The snapshot is refused for its signature; the delta then has no base.
    expect(deny.refused).toBe(2);
    expect(g3.svc.status().lists?.trust).toMatchObject({ version: 3 });
    expect(await g3.tap(deniedB.code())).toMatchObject({ decision: 'accept' });
  });
});
