import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, envPath, loadConfig } from '../../src/config/load.ts';
import { runFaregate } from '../support/cli.ts';
import { GOOD_BUS_SETTINGS } from './goodSettings.ts';

const dir = mkdtempSync(join(tmpdir(), 'faregate-config-'));
// The files the settings below name are there (a missing one would be listed as a problem too).
writeFileSync(join(dir, 'trust.json'), '{"keys": []}');
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
function problems(path: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadConfig(path, env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const GOOD = GOOD_BUS_SETTINGS;

describe('settings', () => {
  it('fills defaults and resolves relative paths against the file', () => {
    const { config } = loadConfig(file('good.yaml', GOOD), {});
    expect(config.trust.file).toBe(join(dir, 'trust.json'));
    expect(config.dataDir).toBe(join(dir, 'data'));
    expect(config.token).toEqual({
      skew: 30,
      codeValidity: 60,
      duplicateWindow: 3,
      credentialCacheSize: 10000,
      riderKeyCacheSize: 10000,
      replayCapacity: 500000,
    });
    expect(config.store.synchronous).toBe('NORMAL');
    expect(config.gate).toEqual({ driver: 'console', timeoutMs: 500 });
    expect(config.scanner.framing.suffix).toBe('auto');
  });

  it('environment variables override single values, with their type', () => {
    expect(envPath('FAREGATE_SCANNER__BAUD_RATE')).toEqual(['scanner', 'baudRate']);
    const { config, envOverrides } = loadConfig(file('env.yaml', GOOD), {
      FAREGATE_SCANNER__BAUD_RATE: '115200',
      FAREGATE_DEVICE_ID: 'bus-2',
      FAREGATE_STORE__SYNCHRONOUS: 'FULL',
      FAREGATE_CONFIG: 'ignored.yaml',
      OTHER: 'x',
    });
    expect(config.scanner.baudRate).toBe(115200);
    expect(config.deviceId).toBe('bus-2');
    expect(config.store.synchronous).toBe('FULL');
    expect(envOverrides.sort()).toEqual([
      'FAREGATE_DEVICE_ID',
      'FAREGATE_SCANNER__BAUD_RATE',
      'FAREGATE_STORE__SYNCHRONOUS',
    ]);
  });

  it('lists every problem at once, each with the path of the bad field', () => {
    const p = file(
      'many.yaml',
      `
deviceId: "bus 1"
mode: tram
place: route-1
direction: board
scanner: { path: "tcp://host", baudRate: -1, parity: maybe, framing: { suffix: custom } }
trust: {}
dataDir: ./data
fare: { currency: yuan, bus: { adult: 1.5 } }
gate: { driver: serial }
surprise: true
`,
    );
    const got = problems(p, { FAREGATE_LOG__LEVEL: 'loud' });
    expect(got).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^deviceId: /),
        expect.stringMatching(/^mode: /),
        expect.stringMatching(/^scanner\.path: invalid scanner target "tcp:\/\/host": missing port/),
        expect.stringMatching(/^scanner\.baudRate: /),
        expect.stringMatching(/^scanner\.parity: /),
        expect.stringMatching(/^scanner\.framing\.customSuffix: customSuffix is required/),
        expect.stringMatching(/^trust\.file: /),
        expect.stringMatching(/^fare\.currency: must be an ISO 4217 code/),
        expect.stringMatching(/^fare\.bus\.adult: /),
        expect.stringMatching(/^gate\.path: /),
        expect.stringMatching(/^log\.level: .*\(from FAREGATE_LOG__LEVEL\)$/),
        expect.stringMatching(/^surprise: unknown setting$/),
      ]),
    );
    expect(got.length).toBeGreaterThanOrEqual(12);
  });

  it('nested and environment-override problems carry the dotted path, the variable and the likely meant key', () => {
    const p = file(
      'nested.yaml',
      GOOD.replace(
        'scanner: { path: /dev/ttyACM0 }',
        'scanner: { path: /dev/ttyACM0, baudrate: 9600, dataBits: 9, framing: { suffx: lf } }',
      ) + 'mqtt: { url: mqtt://broker, protocolVersion: 3, tls: { rejectUnauthorised: false } }\nhelth: {}\n',
    );
    const got = problems(p, {
      FAREGATE_SETTLEMENT__ALARMS__STORE_CAPACITY: '0',
      FAREGATE_HEALTH__HTTP_PORT: 'eighty',
      FAREGATE_SCANNER__STOPBITS: '2',
      FAREGATE_GATE__DRIVER: 'relay',
    });
    expect(got.sort()).toEqual(
      [
        "gate.driver: Invalid discriminator value. Expected 'console' | 'serial' (from FAREGATE_GATE__DRIVER)",
        'health.httpPort: Invalid input: expected number, received string (from FAREGATE_HEALTH__HTTP_PORT)',
        'helth: unknown setting; did you mean health?',
        'mqtt.protocolVersion: must be 4 (MQTT 3.1.1) or 5 (MQTT 5)',
        'mqtt.tls.rejectUnauthorised: unknown setting; did you mean rejectUnauthorized?',
        'scanner.baudrate: unknown setting; did you mean baudRate?',
        'scanner.dataBits: must be 5, 6, 7 or 8',
        'scanner.framing.suffx: unknown setting; did you mean suffix?',
        'scanner.stopbits: unknown setting; did you mean FAREGATE_SCANNER__STOP_BITS? (from FAREGATE_SCANNER__STOPBITS)',
        'settlement.alarms.storeCapacity: Too small: expected number to be >=1 (from FAREGATE_SETTLEMENT__ALARMS__STORE_CAPACITY)',
      ].sort(),
    );
  });

  it('an override can add a section the file lacks, and its problems name the variables', () => {
    const { config } = loadConfig(file('add.yaml', GOOD), {
      FAREGATE_MQTT__URL: 'mqtt://broker:1883',
      FAREGATE_FARE__BUS: '{"adult": 300}',
    });
    expect(config.mqtt?.url).toBe('mqtt://broker:1883');
    expect(config.fare.bus).toEqual({ adult: 300 });
    expect(problems(file('add2.yaml', GOOD), { FAREGATE_MQTT__KEEPALIVE: '10' })).toEqual([
      'mqtt.url: missing: this setting is required (string)',
    ]);
  });

  it('checks across fields are listed even when other fields are wrong', () => {
    const got = problems(
      file('cross.yaml', GOOD.replace('direction: board', 'direction: in').replace('adult: 200', 'adult: 2.5')),
      { FAREGATE_LOG__LEVEL: 'loud' },
    );
    expect(got).toEqual([
      'fare.bus.adult: must be a whole number',
      expect.stringMatching(/^log\.level: .*\(from FAREGATE_LOG__LEVEL\)$/),
      'direction: a bus reader has direction board',
    ]);
    const noFare = problems(
      file(
        'nofare.yaml',
        GOOD.replace('fare: { bus: { adult: 200 } }', 'scanner: { path: /dev/ttyACM0, parity: maybe }').replace(
          'scanner: { path: /dev/ttyACM0 }\n',
          '',
        ),
      ),
    );
    expect(noFare).toEqual([
      expect.stringMatching(/^scanner\.parity: /),
      'fare.bus: a bus reader needs a fare table (fare.bus.adult at least)',
    ]);
  });

  it('checks that direction fits the mode and that a bus has fares', () => {
    const got = problems(
      file('dir.yaml', GOOD.replace('direction: board', 'direction: in').replace('fare: { bus: { adult: 200 } }', '')),
    );
    expect(got).toEqual([
      'direction: a bus reader has direction board',
      'fare.bus: a bus reader needs a fare table (fare.bus.adult at least)',
    ]);
  });

  it.each([
    ['missing file', join(dir, 'nope.yaml'), /file not found/],
    ['YAML syntax error with its line', 'bad.yaml', /^line \d+: .*flow sequence/i],
    ['duplicate key', 'dupkey.yaml', /Map keys must be unique/],
    ['not a map', 'list.yaml', /must hold a map of settings/],
    ['empty file', 'empty.yaml', /must hold a map of settings/],
  ])('a %s gets its specific message', (_kind, name, message) => {
    file('bad.yaml', 'deviceId: a\nmode: bus\nplace: [unclosed\n');
    file('dupkey.yaml', 'deviceId: a\ndeviceId: b\n');
    file('list.yaml', '- a\n- b\n');
    file('empty.yaml', '');
    const path = name.startsWith('/') ? name : join(dir, name);
    expect(problems(path).join('\n')).toMatch(message);
  });

  it('faregate run refuses to start with exit code 3 and lists the problems, including unusable list files', async () => {
    const cfg = file('run.yaml', GOOD.replace('trust.json', 'missing-trust.json') + 'deny: { file: deny.json }\n');
    writeFileSync(join(dir, 'deny.json'), '{"sub": ["xyz"]}');
    const r = await runFaregate(['run', '--config', cfg]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/refusing to start/);
    expect(r.stderr).toMatch(/trust\.file: .*missing-trust\.json: file not found/);
    expect(r.stderr).toMatch(/deny\.file: .*deny\.json is unusable: sub\.0/);
    const bad = await runFaregate(['run', '--config', file('run2.yaml', 'mode: bus\n')]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/deviceId: /);
    expect(bad.stderr).toMatch(/scanner: /);
  });
});
