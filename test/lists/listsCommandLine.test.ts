/** `faregate lists sign` and `faregate lists publish`: a list made and published by the CLI is applied by a gate. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFaregate } from '../support/cli.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { waitFor } from '../support/pty.ts';
import { makeRider } from '../support/riders.ts';
import { startGate, type Root, type TestGate } from './support.ts';

let broker: Mosquitto;
let gate: TestGate | undefined;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await gate?.stop();
  await broker?.stop();
});

describe('faregate lists', () => {
  it('signs with a root key from `keys generate` and publishes; the gate applies it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faregate-lists-cli-'));
    const key = join(dir, 'root.jwk.json');
    const gen = await runFaregate(['keys', 'generate', '--alg', 'ES256', '--kid', 'cm9vdC0x', '--out', key]);
    expect(gen.code).toBe(0);
    const pub = JSON.parse(gen.stdout) as Record<string, unknown>;
    const root: Root = { jwk: pub, signer: undefined as never };
    gate = await startGate({ root, mqttUrl: broker.url });
    const rider = makeRider();
    writeFileSync(join(dir, 'deny.json'), JSON.stringify({ sub: [{ id: rider.sub, exp: 4_000_000_000 }], cti: [] }));
    const signed = join(dir, 'deny.signed.json');
    const s = await runFaregate([
      'lists',
      'sign',
      '--type',
      'deny',
      '--kind',
      'snapshot',
      '--in',
      join(dir, 'deny.json'),
      '--version',
      '3',
      '--key',
      key,
      '--out',
      signed,
    ]);
    expect(s.stderr).toBe('');
    expect(JSON.parse(s.stdout)).toMatchObject({ type: 'deny', version: 3, kid: 'cm9vdC0x', alg: 'ES256' });
    expect(Object.keys(JSON.parse(readFileSync(signed, 'utf8')) as object)).toEqual([
      'protected',
      'payload',
      'signature',
    ]);
    const p = await runFaregate(['lists', 'publish', '--mqtt', broker.url, '--file', signed]);
    expect(p.stderr).toBe('');
    expect(JSON.parse(p.stdout)).toMatchObject({ topic: 'faregate/v1/deny', retain: true, version: 3 });
    await waitFor(() => gate!.svc.status().lists?.deny.version === 3, 'CLI list applied', 3000);
    expect(await gate.tap(rider.code())).toMatchObject({ decision: 'reject', reason: 'denied' });

    // Unusable arguments or inputs: exit 2, one line on stderr.
    const bad = await runFaregate([
      'lists',
      'sign',
      '--type',
      'deny',
      '--kind',
      'delta',
      '--in',
      join(dir, 'deny.json'),
      '--version',
      '4',
      '--key',
      key,
      '--out',
      signed,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--base/);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ sub: ['zz'] }));
    const badIn = await runFaregate([
      'lists',
      'sign',
      '--type',
      'deny',
      '--in',
      join(dir, 'bad.json'),
      '--version',
      '4',
      '--key',
      key,
      '--out',
      signed,
    ]);
    expect(badIn.code).toBe(2);
    expect(badIn.stderr).toMatch(/sub\.0/);
  });
});
