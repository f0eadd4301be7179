/**
 * Every setting's reload flag (`live` / `restart` in src/config/schema.ts, shown in
 * docs/settings.md and the JSON Schema) is what the real reload_config path does: for each
 * setting a changed value is written to a real settings file and reloaded with reloadSettings
 * (src/fleet/commandsReload.ts) against a real validator. A live setting must be applied and in
 * force afterwards; a restart setting must be reported as needing a restart and left as it ran.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { settingsCatalog, type SettingEntry } from '../../src/config/settingsCatalog.ts';
import { reloadSettings, type ReloadResult } from '../../src/fleet/commandsReload.ts';
import { loadListFiles } from '../../src/lists/loadListFiles.ts';
import { jttKeyPair, jttRootsFile } from '../../src/mint/jttMint.ts';
import { JttFormat } from '../../src/token/jtt/jttFormat.ts';
import { jttRootsFromJson } from '../../src/token/jtt/roots.ts';
import { RideCodeValidator } from '../../src/token/validator.ts';
import { REPO_ROOT } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'faregate-reload-flags-'));
const dev = (f: string) => join(REPO_ROOT, 'config', 'dev', f);
for (const n of ['a', 'b']) {
  writeFileSync(join(dir, `jtt-roots-${n}.json`), JSON.stringify(jttRootsFile([{ index: 23, key: jttKeyPair(n) }])));
  copyFileSync(dev('trust.json'), join(dir, `trust-${n}.json`));
  copyFileSync(dev('deny.json'), join(dir, `deny-${n}.json`));
  // A JWK Set of public keys serves as operator keys and root keys alike.
  copyFileSync(dev('trust.json'), join(dir, `ops-${n}.json`));
  copyFileSync(dev('trust.json'), join(dir, `roots-${n}.json`));
}

/** Every optional setting is given, so that each one can be changed rather than added. */
function base(): Record<string, unknown> {
  return {
    deviceId: 'bus-1',
    mode: 'bus',
    place: 'route-1',
    direction: 'board',
    scanner: { path: '/dev/ttyACM0', framing: { suffix: 'custom', customSuffix: '\u0003' } },
    trust: { file: 'trust-a.json' },
    deny: { file: 'deny-a.json' },
    dataDir: './data',
    fare: {
      currency: 'CNY',
      bus: { adult: 200, child: 100, student: 100, senior: 50, disabled: 50, staff: 50 },
      metroOut: { adult: 400, child: 200, student: 200, senior: 100, disabled: 100, staff: 100 },
    },
    gate: { driver: 'serial', path: '/dev/ttyS1', commands: { silent: 'SILENT' } },
    mqtt: {
      url: 'mqtt://127.0.0.1:1883',
      clientId: 'gate-1',
      username: 'bus-1',
      passwordFile: 'password',
      tls: { ca: 'ca.pem', cert: 'cert.pem', key: 'key.pem', servername: 'broker.example' },
    },
    commands: { operatorKeys: 'ops-a.json' },
    group: { id: 'station-1', keys: 'ops-a.json', signingKey: 'gate-key.json', maxQueued: 100 },
    settlement: { backendKeys: 'backend-keys-a.json' },
    health: { httpPort: 8081 },
    display: { texts: 'display-a' },
    jtt: { roots: 'jtt-roots-a.json' },
  };
}

const get = (o: unknown, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>(
      (n, k) => (typeof n === 'object' && n !== null ? (n as Record<string, unknown>)[k] : undefined),
      o,
    );
function set(o: Record<string, unknown>, path: string, v: unknown): void {
  const keys = path.split('.');
  let n = o;
  for (const k of keys.slice(0, -1)) n = (n[k] ??= {}) as Record<string, unknown>;
  n[keys.at(-1)!] = v;
}

/** Changes that need more than one field to stay valid, or a value of a special form. */
const SPECIAL: Record<string, (raw: Record<string, unknown>) => void> = {
  mode: (raw) => Object.assign(raw, { mode: 'metro', direction: 'in' }),
  direction: (raw) => Object.assign(raw, { mode: 'metro', direction: 'in' }),
  'gate.driver': (raw) => (raw.gate = { driver: 'console' }),
  'trust.file': (raw) => set(raw, 'trust.file', 'trust-b.json'),
  'deny.file': (raw) => set(raw, 'deny.file', 'deny-b.json'),
  'commands.operatorKeys': (raw) => set(raw, 'commands.operatorKeys', 'ops-b.json'),
  'settlement.backendKeys': (raw) => set(raw, 'settlement.backendKeys', 'backend-keys-b.json'),
  'lists.rootKeys': (raw) => set(raw, 'lists.rootKeys', 'roots-b.json'),
  'jtt.roots': (raw) => set(raw, 'jtt.roots', 'jtt-roots-b.json'),
  'mqtt.url': (raw) => set(raw, 'mqtt.url', 'mqtt://127.0.0.1:1884'),
  'fare.currency': (raw) => set(raw, 'fare.currency', 'EUR'),
  'display.language': (raw) => set(raw, 'display.language', ['en']),
};

/** Another valid value for a setting, derived from its JSON Schema. */
function otherValue(e: SettingEntry, current: unknown): unknown {
  const s = e.schema;
  const values = Array.isArray(s.enum)
    ? s.enum
    : Array.isArray(s.anyOf)
      ? s.anyOf.map((b) => (b as { const: unknown }).const)
      : undefined;
  if (values) return values.find((v) => v !== current);
  if (s.type === 'boolean') return !current;
  if (s.type === 'integer' || s.type === 'number') {
    if (typeof current !== 'number') throw new Error(`${e.path}: give it a value in base()`);
    const down = current - 1;
    const min = (s.minimum as number | undefined) ?? -Infinity;
    const exMin = (s.exclusiveMinimum as number | undefined) ?? -Infinity;
    return down >= min && down > exMin ? down : current + 1;
  }
  if (s.type === 'string') {
    if (typeof current !== 'string') throw new Error(`${e.path}: give it a value in base()`);
    return `${current}x`;
  }
  throw new Error(`${e.path}: no way to change a ${String(s.type)}`);
}

interface Reloaded {
  before: Config;
  running: Config;
  next: Config;
  validator: RideCodeValidator;
  result: ReloadResult;
  /** Rewrites the file as `to` and reloads again into the same running service. */
  again(to: Record<string, unknown>): ReloadResult;
}

/** Starts from `from` (as at start-up), rewrites the file as `to` and reloads it the way reload_config does. */
function reload(from: Record<string, unknown>, to: Record<string, unknown>): Reloaded {
  const file = join(dir, 'settings.json');
  writeFileSync(file, JSON.stringify(from));
  const running = loadConfig(file, {}).config;
  const before = structuredClone(running);
  const lists = loadListFiles(running.trust.file, running.deny?.file);
  const validator = new RideCodeValidator({
    trust: lists.trust!,
    deny: lists.deny!,
    params: { ...running.token, mode: running.mode },
  });
  writeFileSync(file, JSON.stringify(to));
  const next = loadConfig(file, {}).config;
  const jttFile = running.jtt.roots;
  const jtt = jttFile
    ? new JttFormat({ roots: jttRootsFromJson(JSON.parse(readFileSync(jttFile, 'utf8'))), params: validator.params })
    : undefined;
  const targets = {
    config: running,
    validator,
    jtt,
    setLogLevel: () => {},
    setOperatorKeys: () => {},
    policyChanged: () => {},
    signedListsActive: running.lists !== undefined,
  };
  const result = reloadSettings(file, targets, {});
  const again = (later: Record<string, unknown>) => {
    writeFileSync(file, JSON.stringify(later));
    return reloadSettings(file, targets, {});
  };
  return { before, running, next, validator, result, again };
}

const { settings } = settingsCatalog();

describe('each setting reloads as its reload flag says', () => {
  it('the catalog covers the settings this test changes', () => {
    expect(settings.length).toBeGreaterThan(80);
    for (const p of Object.keys(SPECIAL)) expect(settings.map((e) => e.path)).toContain(p);
  });

  it.each(settings.map((e) => [e.path, e.reload, e] as const))('%s: %s', (path, flag, e) => {
    const from = base();
    // The signed-list settings exist only with a lists section (which makes the list files restart-only).
    if (path.startsWith('lists.')) from.lists = { rootKeys: 'roots-a.json' };
    const to = structuredClone(from);
    if (SPECIAL[path]) SPECIAL[path](to);
    else set(to, path, otherValue(e, get(from, path) ?? e.default));
    const r = reload(from, to);
    expect(isDeepStrictEqual(get(r.next, path), get(r.before, path)), 'the test changed the value').toBe(false);
    if (flag === 'live') {
      expect(r.result.applied).toContain(path);
      expect(r.result.needsRestart).toEqual([]);
      expect(get(r.running, path)).toEqual(get(r.next, path));
    } else {
      expect(r.result.needsRestart).toContain(path);
      expect(r.result.applied).not.toContain(path);
      expect(get(r.running, path)).toEqual(get(r.before, path));
    }
  });

  it('token timing changes are in force in the validator', () => {
    const from = base();
    const r = reload(from, { ...from, token: { skew: 10, codeValidity: 45 } });
    expect(r.validator.params.skew).toBe(10);
    expect(r.validator.params.codeValidity).toBe(45);
  });

  // The conditions in the reload notes.
  it('with signed lists configured, a changed list file needs a restart', () => {
    const from = { ...base(), lists: { rootKeys: 'roots-a.json' } };
    const r = reload(from, { ...from, trust: { file: 'trust-b.json' }, deny: { file: 'deny-b.json' } });
    expect(r.result.needsRestart).toEqual(['deny.file', 'trust.file']);
    expect(r.running.trust.file).toBe(r.before.trust.file);
  });

  it('raising token.skew above its value at start, or token.codeValidity beyond 3600 s, needs a restart', () => {
    const from = base();
    expect(reload(from, { ...from, token: { skew: 31 } }).result.needsRestart).toEqual(['token.skew']);
    expect(reload(from, { ...from, token: { codeValidity: 3600 } }).result.applied).toEqual(['token.codeValidity']);
    const r = reload(from, { ...from, token: { codeValidity: 3601 } });
    expect(r.result.needsRestart).toEqual(['token.codeValidity']);
    expect(r.validator.params.codeValidity).toBe(60);
    // Lowered, then raised back to the value at start: both live.
    const back = reload(from, { ...from, token: { skew: 10 } });
    expect(back.result.applied).toEqual(['token.skew']);
    expect(back.again(from).applied).toEqual(['token.skew']);
    expect(back.validator.params.skew).toBe(30);
    expect(back.again({ ...from, token: { skew: 31 } }).needsRestart).toEqual(['token.skew']);
  });

  it('turning remote commands on or off needs a restart', () => {
    const on = base();
    const off = { ...base(), commands: {} };
    expect(reload(on, off).result.needsRestart).toEqual(['commands.operatorKeys']);
    expect(reload(off, on).result.needsRestart).toEqual(['commands.operatorKeys']);
  });
});
