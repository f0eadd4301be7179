/**
 * The rules of the JT/T root list (src/fleet/listJttRoots.ts over src/lists/signedListJttRoots.ts),
 * in process with real files in a temp data dir: an applied list swaps a new roots object into the
 * JttFormat (a cached certificate is verified against it again), an oversized document is refused
 * unparsed, a trust list on the topic is `wrong_type`, a delta or a bad §5 entry is `malformed`
 * with every problem named, the same document again is a duplicate; a refusal changes nothing and
 * is raised as a `list_refused` event. reload_config re-reads `jtt.roots` into the running format.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JttRootsSync } from '../../src/fleet/listJttRoots.ts';
import { JttFormat } from '../../src/token/jtt/jttFormat.ts';
import { JttRoots } from '../../src/token/jtt/roots.ts';
import { captureLogger } from '../support/captureLogger.ts';
import { makeRoot, signed } from '../lists/support.ts';
import { keySetFromJson } from '../../src/lists/jws.ts';
import { code, NOW, OTHER_ROOT, rootsFile } from '../jtt/jttFixtures.ts';

const root = makeRoot();
const rootKeys = keySetFromJson({ keys: [root.jwk] });
const list = (version: number, roots: unknown[], extra: Record<string, unknown> = {}) =>
  Buffer.from(signed(root, { type: 'jtt-roots', version, issuedAt: 1795000000, kind: 'snapshot', roots, ...extra }));
const entries = (rootsFile() as { roots: unknown[] }).roots;

function setup(maxBytes?: number) {
  const events: Record<string, unknown>[] = [];
  const jtt = new JttFormat({ roots: JttRoots.EMPTY });
  const sync = new JttRootsSync({
    jtt,
    rootKeys,
    maxBytes,
    dataDir: mkdtempSync(join(tmpdir(), 'faregate-jttroots-rules-')),
    topicPrefix: 'faregate/v1',
    events: { event: (e) => events.push(e) },
    clock: { now: () => NOW * 1000 },
    logger: captureLogger(),
  });
  return { jtt, sync, events };
}

describe('the JT/T root list', () => {
  it('an applied list puts a new roots object in force; the same document again is a duplicate', async () => {
    const { jtt, sync } = setup();
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
  });

  it('refuses oversized, wrong-type, delta, bad-entry and rolled-back lists, changing nothing', async () => {
    const { jtt, sync, events } = setup(2048);
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
      'roots[0].index: must be an integer 0-255; roots[1].key: not hex',
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
    expect(sync.status()).toMatchObject({ version: 5, refused: 5, oversized: 1, lastRefused: { reason: 'rollback' } });
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
