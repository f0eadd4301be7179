/**
 * The rules of the JT/T root list (src/fleet/listJttRoots.ts over src/lists/signedListJttRoots.ts),
 * in process with real files in a temp data dir: an applied list swaps a new roots object into the
 * JttFormat (a cached certificate is verified against it again), an oversized document is refused
 * unparsed, a trust list on the topic is `wrong_type`, a delta or a bad §5 entry is `malformed`
 * with every problem named, the same document again is a duplicate; a refusal changes nothing and
 * is raised as a `list_refused` event. Every rule holds the same on this thread and through the
 * gate's list worker (where a gate verifies these documents), which sends back only the checked
 * entries; a list of all 256 roots is applied and a code under one of them verifies; building a
 * root does no curve arithmetic, its key is made at its first use. The service is told of a list
 * in force before it is persisted, so no status says two versions. reload_config re-reads
 * `jtt.roots` into the running format.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JttRootsSync } from '../../src/fleet/listJttRoots.ts';
import { JttFormat } from '../../src/token/jtt/jttFormat.ts';
import { jttRoot, JttRoots } from '../../src/token/jtt/roots.ts';
import { ListWorkerPool } from '../../src/lists/signedListJob.ts';
import { labelKey } from '../jtt/contractMinter.ts';
import { captureLogger } from '../support/captureLogger.ts';
import { makeRoot, signed } from '../lists/support.ts';
import { keySetFromJson } from '../../src/lists/jws.ts';
import { code, NOW, OTHER_ROOT, ROOT, rootsFile } from '../jtt/jttFixtures.ts';

const root = makeRoot();
const rootKeys = keySetFromJson({ keys: [root.jwk] });
const list = (version: number, roots: unknown[], extra: Record<string, unknown> = {}) =>
  Buffer.from(signed(root, { type: 'jtt-roots', version, issuedAt: 1795000000, kind: 'snapshot', roots, ...extra }));
const entries = (rootsFile() as { roots: unknown[] }).roots;

const pool = new ListWorkerPool();
afterAll(() => pool.close());
type Where = 'inline' | 'worker';

function setup(maxBytes?: number, where: Where = 'inline', applied?: (version: number) => void) {
  const events: Record<string, unknown>[] = [];
  const jtt = new JttFormat({ roots: JttRoots.EMPTY });
  const sync = new JttRootsSync({
    jtt,
    rootKeys,
    ...(where === 'worker' ? { worker: { pool, rootJwks: { keys: [root.jwk] } } } : {}),
    maxBytes,
    dataDir: mkdtempSync(join(tmpdir(), 'faregate-jttroots-rules-')),
    topicPrefix: 'faregate/v1',
    events: { event: (e) => events.push(e) },
    clock: { now: () => NOW * 1000 },
    logger: captureLogger(),
    applied,
  });
  return { jtt, sync, events };
}

describe.each<Where>(['inline', 'worker'])('the JT/T root list, verified %s', (where) => {
  it('an applied list puts a new roots object in force; the same document again is a duplicate', async () => {
    const { jtt, sync } = setup(undefined, where);
    const c = code();
    expect(jtt.evaluateBytes(c, NOW)).toMatchObject({ decision: 'reject', reason: 'unknown_key' });
    const doc = list(1, entries);
    expect(await sync.receive(doc, 'mqtt')).toEqual({ outcome: 'applied', version: 1 });
    const before = jtt.rootKeys;
    expect(jtt.evaluateBytes(c, NOW)).toMatchObject({ decision: 'accept' });
    expect(await sync.receive(doc, 'mqtt')).toEqual({ outcome: 'duplicate', version: 1 });
    expect(jtt.rootKeys).toBe(before);
    // Version 2 names another key for index 23: the cached certificate no longer verifies.
    const other = [{ index: 23, key: OTHER_ROOT.compressed.toString('hex') }];
    expect(await sync.receive(list(2, other), 'mqtt')).toEqual({ outcome: 'applied', version: 2 });
    expect(jtt.evaluateBytes(c, NOW)).toMatchObject({ decision: 'reject', reason: 'bad_root_signature' });
    expect(sync.status()).toMatchObject({ version: 2, source: 'signed', roots: 1, applied: 2, refused: 0 });
    expect(sync.lastJob?.via).toBe(where);
  });

  it('refuses oversized, wrong-type, delta, bad-entry and rolled-back lists, changing nothing', async () => {
    const { jtt, sync, events } = setup(2048, where);
    await sync.receive(list(5, entries), 'mqtt');
    const held = jtt.rootKeys;
    const big = list(6, entries, { pad: 'x'.repeat(4096) });
    expect(await sync.receive(big, 'mqtt')).toMatchObject({ outcome: 'refused', reason: 'oversized' });
    const trust = Buffer.from(signed(root, { type: 'trust', version: 7, issuedAt: 1, kind: 'snapshot', keys: [] }));
    expect(await sync.receive(trust, 'mqtt')).toMatchObject({ outcome: 'refused', reason: 'wrong_type' });
    const delta = list(8, entries, { kind: 'delta' });
    expect(await sync.receive(delta, 'mqtt')).toMatchObject({ outcome: 'refused', reason: 'malformed' });
    const bad = await sync.receive(
      list(9, [
        { index: 256, key: 'ab' },
        { index: 4, key: 'zz' },
      ]),
      'mqtt',
    );
    expect(bad).toMatchObject({ outcome: 'refused', reason: 'malformed' });
    expect(bad.outcome === 'refused' && bad.detail).toBe(
      'roots[0].index: must be an integer 0-255; roots[0].key: 1 bytes; a key is 33, 64 or 65 bytes; roots[1].key: not hex',
    );
    expect(await sync.receive(list(4, []), 'mqtt')).toMatchObject({ outcome: 'refused', reason: 'rollback' });
    expect(jtt.rootKeys).toBe(held);
    expect(events.map((e) => [e.kind, e.list, e.reason])).toEqual([
      ['list_refused', 'jtt-roots', 'oversized'],
      ['list_refused', 'jtt-roots', 'wrong_type'],
      ['list_refused', 'jtt-roots', 'malformed'],
      ['list_refused', 'jtt-roots', 'malformed'],
      ['list_refused', 'jtt-roots', 'rollback'],
    ]);
    expect(sync.status()).toMatchObject({
      version: 5,
      refused: 5,
      oversized: 1,
      lastRefused: { reason: 'rollback', version: 4 },
    });
    expect(events.at(-1)).toMatchObject({ reason: 'rollback', version: 4, heldVersion: 5 });
  });

  it('a list with a forged signature is refused bad_signature and the held roots stay', async () => {
    const { jtt, sync, events } = setup(undefined, where);
    await sync.receive(list(1, entries), 'mqtt');
    const held = jtt.rootKeys;
    const doc = list(2, [{ index: 23, key: OTHER_ROOT.compressed.toString('hex') }]);
    const env = JSON.parse(doc.toString()) as { signature: string };
    const c = env.signature[5] === 'A' ? 'B' : 'A';
    env.signature = env.signature.slice(0, 5) + c + env.signature.slice(6);
    const forged = Buffer.from(JSON.stringify(env));
    expect(await sync.receive(forged, 'mqtt')).toMatchObject({ outcome: 'refused', reason: 'bad_signature' });
    expect(jtt.rootKeys).toBe(held);
    expect(jtt.evaluateBytes(code(), NOW)).toMatchObject({ decision: 'accept' });
    expect(events).toMatchObject([{ kind: 'list_refused', list: 'jtt-roots', reason: 'bad_signature' }]);
  });

  it('the service hears of a list when it is in force, not after it is persisted', async () => {
    // A status built while the file is written must say the same version in `lists.jttRoots`
    // (this status) and in `jtt` (the service's record, set by `applied`).
    const told: number[] = [];
    const { sync } = setup(undefined, where, (v) => told.push(v));
    const done = sync.receive(list(1, entries), 'mqtt');
    while (sync.status().version === 0) await new Promise((r) => setImmediate(r));
    expect(told).toEqual([1]);
    expect(await done).toEqual({ outcome: 'applied', version: 1 });
  });

  it('a list of all 256 roots is applied, and a code under one of them verifies', async () => {
    const { jtt, sync } = setup(undefined, where);
    const all = Array.from({ length: 256 }, (_, i) =>
      i === 23
        ? { index: 23, key: ROOT.compressed.toString('hex') }
        : { index: i, key: labelKey(`root ${i}`).compressed.toString('hex'), label: `CA ${i}` },
    );
    expect(await sync.receive(list(1, all), 'mqtt')).toEqual({ outcome: 'applied', version: 1 });
    expect(jtt.rootKeys.size).toBe(256);
    expect(jtt.rootKeys.get(200)).toMatchObject({ index: 200, label: 'CA 200' });
    expect(jtt.evaluateBytes(code(), NOW)).toMatchObject({ decision: 'accept' });
    expect(sync.lastJob?.via).toBe(where);
  });
});

describe('a root key', () => {
  it('is made when it is first used, not when the list is read', () => {
    // A checked entry never holds a point off the curve; this one shows that building the root
    // does no curve arithmetic: the point is only decoded (and refused) at its first use.
    const r = jttRoot({ index: 3, x: 1n, y: 1n });
    expect(r).toMatchObject({ index: 3 });
    expect(() => r.key).toThrow(/not a point on the SM2 curve/);
    const good = jttRoot({ index: 23, x: ROOT.x, y: ROOT.y });
    expect(good.key).toBe(good.key);
    expect(good.key.x).toBe(ROOT.x);
  });
});

describe('reload_config', () => {
  it('re-reads jtt.roots into the running JT/T format; an unusable file applies nothing', async () => {
    const { loadConfig } = await import('../../src/config/load.ts');
    const { reloadSettings } = await import('../../src/fleet/commandsReload.ts');
    const { loadListFiles } = await import('../../src/lists/loadListFiles.ts');
    const { RideCodeValidator } = await import('../../src/token/validator.ts');
    const { busSettings } = await import('../support/serviceProcess.ts');
    const dir = mkdtempSync(join(tmpdir(), 'faregate-jtt-reload-'));
    const rootsPath = join(dir, 'jtt-roots.json');
    writeFileSync(rootsPath, JSON.stringify({ roots: [] }));
    const file = join(dir, 'settings.json');
    writeFileSync(file, JSON.stringify(busSettings('/dev/null', join(dir, 'data'), { jtt: { roots: rootsPath } })));
    const config = loadConfig(file, {}).config;
    const lists = loadListFiles(config.trust.file, config.deny?.file);
    const validator = new RideCodeValidator({ trust: lists.trust!, params: { ...config.token, mode: config.mode } });
    const jtt = new JttFormat({ roots: JttRoots.EMPTY, params: validator.params });
    const targets = {
      config,
      validator,
      jtt,
      setLogLevel: () => {},
      setOperatorKeys: () => {},
      policyChanged: () => {},
      signedListsActive: false,
    };
    writeFileSync(rootsPath, JSON.stringify(rootsFile()));
    reloadSettings(file, targets, {});
    expect(jtt.rootKeys.indexes).toEqual([23]);
    expect(jtt.evaluateBytes(code(), NOW)).toMatchObject({ decision: 'accept' });
    writeFileSync(rootsPath, JSON.stringify({ roots: [{ index: 1, key: 'zz' }] }));
    expect(() => reloadSettings(file, targets, {})).toThrow(/jtt\.roots: .* is unusable: roots\[0\]\.key: not hex/);
    expect(jtt.rootKeys.indexes).toEqual([23]);
  });
});
