/**
 * The reload logic (src/fleet/commandsReload.ts) in process, on real files: what applies live is
 * in force afterwards, what needs a restart is named and left as it ran, and an unusable settings
 * file, list file or operator key set applies nothing at all (FG-502).
 */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { ReloadError, reloadSettings, type ReloadTargets } from '../../src/fleet/commandsReload.ts';
import type { JwsKeySet } from '../../src/lists/jws.ts';
import { loadListFiles } from '../../src/lists/loadListFiles.ts';
import { generateKeyPair } from '../../src/mint/keys.ts';
import { ALG_EDDSA } from '../../src/token/cose.ts';
import { RideCodeValidator } from '../../src/token/validator.ts';
import { REPO_ROOT } from '../support/cli.ts';
import { busSettings } from '../support/serviceProcess.ts';

let dir: string;
let file: string;
let settings: Record<string, any>;
let config: Config;
let validator: RideCodeValidator;
let calls: { level?: string; keys?: JwsKeySet | undefined; policy: number };

const write = (s: Record<string, unknown>) => writeFileSync(file, JSON.stringify(s));

function targets(signed = false): ReloadTargets {
  return {
    config,
    validator,
    setLogLevel: (l) => void (calls.level = l),
    setOperatorKeys: (k) => void (calls.keys = k),
    policyChanged: () => void calls.policy++,
    signedListsActive: signed,
  };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'faregate-reload-'));
  file = join(dir, 'settings.json');
  const dev = (f: string) => join(REPO_ROOT, 'config', 'dev', f);
  copyFileSync(dev('trust.json'), join(dir, 'trust.json'));
  copyFileSync(dev('trust.json'), join(dir, 'ops.json'));
  writeFileSync(join(dir, 'deny.json'), JSON.stringify({ sub: ['aa01'], cti: [] }));
  settings = busSettings('/dev/ttyACM0', join(dir, 'data'), {
    trust: { file: join(dir, 'trust.json') },
    deny: { file: join(dir, 'deny.json') },
    commands: { operatorKeys: join(dir, 'ops.json') },
    log: { level: 'info', format: 'json' },
  });
  write(settings);
  config = loadConfig(file, {}).config;
  const lists = loadListFiles(config.trust.file, config.deny?.file);
  validator = new RideCodeValidator({ trust: lists.trust!, deny: lists.deny!, params: { skew: config.token.skew } });
  calls = { policy: 0 };
});

describe('reload_config', () => {
  it('applies fares, log level and list files live; names what needs a restart', () => {
    writeFileSync(join(dir, 'deny2.json'), JSON.stringify({ sub: ['bb02'], cti: [] }));
    write({
      ...settings,
      fare: { ...settings.fare, bus: { ...settings.fare.bus, adult: 300 } },
      deny: { file: join(dir, 'deny2.json') },
      log: { level: 'warn', format: 'json' },
      scanner: { ...settings.scanner, baudRate: 19200 },
    });
    const r = reloadSettings(file, targets(), {});
    expect(r.applied).toEqual(expect.arrayContaining(['fare.bus.adult', 'deny.file', 'log.level']));
    expect(r.needsRestart).toEqual(['scanner.baudRate']);
    expect(config.fare.bus!.adult).toBe(300);
    expect(config.scanner.baudRate).not.toBe(19200);
    expect([validator.denyList.denies('bb02', ''), validator.denyList.denies('aa01', '')]).toEqual([true, false]);
    expect(calls).toMatchObject({ level: 'warn', policy: 1 });
    expect(calls.keys?.size).toBe(1);
    expect(r.lists).toEqual({ source: 'files', trustKeys: 1, denyEntries: 1 });
  });

  it('with signed lists in charge, list files are not swapped in and their change needs a restart', () => {
    writeFileSync(join(dir, 'deny2.json'), JSON.stringify({ sub: ['bb02'], cti: [] }));
    write({ ...settings, deny: { file: join(dir, 'deny2.json') } });
    const r = reloadSettings(file, targets(true), {});
    expect(r.needsRestart).toEqual(['deny.file']);
    expect(validator.denyList.denies('aa01', '')).toBe(true);
    expect(r.lists.source).toBe('signed');
  });

  it('token timing is live unless the replay memory would have to grow', () => {
    write({ ...settings, token: { skew: 10 } });
    expect(reloadSettings(file, targets(), {}).applied).toContain('token.skew');
    expect(validator.params.skew).toBe(10);
    // max(codeValidity, 3600) + 2 × skew beyond what the replay memory holds: restart.
    write({ ...settings, token: { skew: 10, codeValidity: 7200 } });
    expect(reloadSettings(file, targets(), {}).needsRestart).toContain('token.codeValidity');
    expect(validator.params.codeValidity).not.toBe(7200);
  });

  it('turning remote commands off needs a restart; the running keys stay', () => {
    const { commands: _c, ...off } = settings;
    write(off);
    const r = reloadSettings(file, targets(), {});
    expect(r.needsRestart).toContain('commands.operatorKeys');
    expect(config.commands.operatorKeys).toBe(join(dir, 'ops.json'));
    expect(calls.keys).toBeUndefined();
  });

  const unusable: [string, () => void, RegExp][] = [
    [
      'a settings file with a bad value',
      () => write({ ...settings, fare: { currency: 'yen' } }),
      /settings not reloaded: /,
    ],
    ['a settings file that is not JSON', () => writeFileSync(file, '{"deviceId": '), /settings not reloaded/],
    [
      'a deny file that is not a deny list',
      () => {
        writeFileSync(join(dir, 'deny.json'), JSON.stringify({ sub: [42] }));
        write({ ...settings, fare: { ...settings.fare, bus: { ...settings.fare.bus, adult: 300 } } });
      },
      /deny\.file: .*deny\.json is unusable: sub\.0/,
    ],
    [
      'operator keys holding a private key',
      () => {
        const pair = generateKeyPair(ALG_EDDSA);
        const priv = { ...(pair.privateKey.export({ format: 'jwk' }) as object), kid: 'op-9' };
        writeFileSync(join(dir, 'ops2.json'), JSON.stringify({ keys: [priv] }));
        write({
          ...settings,
          commands: { operatorKeys: join(dir, 'ops2.json') },
          fare: { currency: 'EUR', bus: settings.fare.bus },
        });
      },
      /commands\.operatorKeys: .*ops2\.json is unusable: keys\.0\.d: holds a private key/,
    ],
  ];
  for (const [what, spoil, message] of unusable) {
    it(`applies nothing for ${what} (FG-502)`, () => {
      const before = structuredClone(config);
      spoil();
      let err: unknown;
      try {
        reloadSettings(file, targets(), {});
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ReloadError);
      expect((err as ReloadError).code).toBe('RELOAD_FAILED');
      expect((err as Error).message).toMatch(message);
      expect(config).toEqual(before);
      expect(calls).toEqual({ policy: 0 });
      expect(validator.denyList.denies('aa01', '')).toBe(true);
    });
  }
});
