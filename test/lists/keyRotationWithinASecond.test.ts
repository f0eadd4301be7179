/**
 * A new issuer key in a signed trust list is trusted on a whole in-process gate (TCP scanner, no
 * broker) within a second of its arrival; a key whose exp has passed stops working. (The list
 * over a real broker: denyWithinASecond.test.ts.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  devIssuerPublic,
  feed,
  makeIssuer,
  makeRoot,
  nowSec,
  startGate,
  trustSnapshot,
  type TestGate,
} from './support.ts';

let gate: TestGate | undefined;
afterAll(async () => {
  await gate?.stop();
});

describe('key rotation by signed trust list', () => {
  it('trusts a new issuer within 1 s and drops a key past its exp', async () => {
    const root = makeRoot();
    gate = await startGate({ root, extra: { token: { skew: 0, duplicateWindow: 0 } } });
    const issuer = makeIssuer();
    const rider = issuer.rider();
    expect(await gate.tap(rider.code())).toMatchObject({ decision: 'reject', reason: 'unknown_key' });

    const t0 = Date.now();
    await feed(gate, 'trust', trustSnapshot(root, 1, [devIssuerPublic(), issuer.jwk()]));
    const r = await gate.tap(rider.code());
    expect(r).toMatchObject({ decision: 'accept' });
    expect(Date.now() - t0).toBeLessThan(1000);
    const trust = gate.svc.status().lists?.trust;
    expect(trust).toMatchObject({ version: 1, source: 'signed', entries: 2, stale: false, kid: root.signer.kid });

    // v2: the same key, with an exp that has passed → key_not_valid (skew 0).
    await feed(gate, 'trust', trustSnapshot(root, 2, [devIssuerPublic(), issuer.jwk({ exp: nowSec() - 1 })]));
    expect(await gate.tap(rider.code())).toMatchObject({ decision: 'reject', reason: 'key_not_valid' });

    // v3: a key expiring in 2 s works until then, not after.
    const other = makeIssuer();
    const r2 = other.rider();
    await feed(gate, 'trust', trustSnapshot(root, 3, [devIssuerPublic(), other.jwk({ exp: nowSec() + 2 })]));
    expect(await gate.tap(r2.code())).toMatchObject({ decision: 'accept' });
    await new Promise((res) => setTimeout(res, (nowSec() + 3 - Date.now() / 1000) * 1000));
    expect(await gate.tap(r2.code())).toMatchObject({ decision: 'reject', reason: 'key_not_valid' });
  });
});
