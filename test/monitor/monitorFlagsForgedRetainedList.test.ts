/**
 * `faregate monitor --once --root-keys FILE` (the real CLI process) against a real Mosquitto
 * holding a genuine retained trust list, a deny list overwritten by someone without a root key and
 * a genuine JT/T root list: the text shows `trust v4 ok`, `deny LIST FORGED (unknown_root_kid)` and
 * `jtt-roots v3 ok`, `--json` carries
 * the same in `retainedLists`; an unusable key file exits 2. (The check's rules are tested
 * in-process in retainedListCheckFlagsForgeries.test.ts.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetSnapshot } from '../../src/monitor/fleetModel.ts';
import { runFaregate } from '../support/cli.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { ROOT } from '../jtt/jttFixtures.ts';
import { denyDoc, jttRootsDoc, makeRoot, trustDoc } from './retainedListSigns.ts';

const P = 'faregate/v1';
let broker: Mosquitto;
let dir: string;
let rootsFile: string;

beforeAll(async () => {
  broker = await startMosquitto();
  dir = mkdtempSync(join(tmpdir(), 'faregate-monitor-lists-'));
  const root = makeRoot('ops-root');
  rootsFile = join(dir, 'roots.json');
  writeFileSync(rootsFile, JSON.stringify({ keys: [root.jwk] }));
  const c = await mqtt.connectAsync(broker.url, { clientId: 'list-publisher', reconnectPeriod: 0 });
  await c.publishAsync(`${P}/trust`, trustDoc(root, 4), { qos: 1, retain: true });
  await c.publishAsync(`${P}/deny`, denyDoc(root, 8), { qos: 1, retain: true });
  // The retained deny list overwritten with one signed by a key that is not a root.
  await c.publishAsync(`${P}/deny`, denyDoc(makeRoot('intruder'), 9999), { qos: 1, retain: true });
  // A genuine JT/T root list.
  const roots = [{ index: 23, key: ROOT.compressed.toString('hex') }];
  await c.publishAsync(`${P}/jtt-roots`, jttRootsDoc(root, 3, roots), { qos: 1, retain: true });
  await c.endAsync();
});

afterAll(async () => {
  await broker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('faregate monitor --root-keys', () => {
  it('flags the overwritten retained deny list as LIST FORGED and the genuine trust list as ok', async () => {
    const r = await runFaregate(['monitor', '--mqtt', broker.url, '--once', '--wait', '800', '--root-keys', rootsFile]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'retained lists on the broker: trust v4 ok, deny LIST FORGED (unknown_root_kid), jtt-roots v3 ok',
    );
  });

  it('--json carries the checks in retainedLists', async () => {
    const r = await runFaregate([
      'monitor',
      ...['--mqtt', broker.url, '--once', '--wait', '800', '--json', '--root-keys', rootsFile],
    ]);
    expect(r.code).toBe(0);
    const snap = JSON.parse(r.stdout.trim()) as FleetSnapshot;
    expect(snap.retainedLists?.trust).toMatchObject({ state: 'verified', version: 4 });
    expect(snap.retainedLists?.deny).toMatchObject({ state: 'forged', reason: 'unknown_root_kid' });
    expect(snap.retainedLists?.['jtt-roots']).toMatchObject({ state: 'verified', version: 3, kid: 'ops-root' });
  });

  it('without --root-keys the output says nothing about the lists (unchanged)', async () => {
    const r = await runFaregate(['monitor', '--mqtt', broker.url, '--once', '--wait', '300']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('retained lists');
  });

  it('an unusable key file exits 2 naming it', async () => {
    const r = await runFaregate(['monitor', '--mqtt', broker.url, '--once', '--root-keys', join(dir, 'missing.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing.json');
  });
});
