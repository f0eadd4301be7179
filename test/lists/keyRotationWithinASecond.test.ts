/**
 * A new issuer key published in a signed trust list is trusted on the gate within a second;
 * a key whose exp has passed stops working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { waitFor } from '../support/pty.ts';
import { client, devIssuerPublic, makeIssuer, makeRoot, nowSec, publishList, startGate, trustSnapshot, type TestGate } from './support.ts';

let broker: Mosquitto;
let gate: TestGate | undefined;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await gate?.stop();
  await broker?.stop();
});

describe('key rotation by signed trust list', () => {
  it('trusts a new issuer within 1 s and drops a key past its exp', async () => {
    const root = makeRoot();
    gate = await startGate({ root, mqttUrl: broker.url, extra: { token: { skew: 0, duplicateWindow: 0 } } });
    const backend = await client(broker.url);
    const issuer = makeIssuer();
    const rider = issuer.rider();
    expect(await gate.tap(rider.code())).toMatchObject({ decision: 'reject', reason: 'unknown_key' });

    const t0 = Date.now();
    await publishList(backend, 'faregate/v1/trust', trustSnapshot(root, 1, [devIssuerPublic(), issuer.jwk()]));
    await waitFor(() => gate!.svc.status().lists?.trust.version === 1, 'trust v1 applied', 2000, 5);
    const r = await gate.tap(rider.code());
    const elapsed = Date.now() - t0;
    expect(r).toMatchObject({ decision: 'accept' });
    expect(elapsed).toBeLessThan(1000);
    expect(gate.svc.status().lists?.trust).toMatchObject({ version: 1, source: 'signed', entries: 2, stale: false, kid: root.signer.kid });

    // v2: the same key, with an exp that has passed → key_not_valid (skew 0).
    await publishList(backend, 'faregate/v1/trust', trustSnapshot(root, 2, [devIssuerPublic(), issuer.jwk({ exp: nowSec() - 1 })]));
    await waitFor(() => gate!.svc.status().lists?.trust.version === 2, 'trust v2 applied', 2000, 5);
    expect(await gate.tap(rider.code())).toMatchObject({ decision: 'reject', reason: 'key_not_valid' });

    // v3: a key expiring in 2 s works until then, not after.
    const rider2 = makeIssuer();
    const r2 = rider2.rider();
    await publishList(backend, 'faregate/v1/trust', trustSnapshot(root, 3, [devIssuerPublic(), rider2.jwk({ exp: nowSec() + 2 })]));
    await waitFor(() => gate!.svc.status().lists?.trust.version === 3, 'trust v3 applied', 2000, 5);
    expect(await gate.tap(r2.code())).toMatchObject({ decision: 'accept' });
    await new Promise((res) => setTimeout(res, (nowSec() + 3 - Date.now() / 1000) * 1000));
    expect(await gate.tap(r2.code())).toMatchObject({ decision: 'reject', reason: 'key_not_valid' });
    await backend.endAsync();
  });
});
