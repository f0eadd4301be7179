/**
 * One start lists every problem of the settings at once (the guide's rule, docs/settings.md):
 * with valid fields, every unusable file of every part (trust list, list root keys, group keys,
 * operator keys, backend keys) in one list; with a wrong field as well, the files that are
 * missing beside it. The real `faregate run`, exit code 3. In process: an override that reads
 * as a number is text where the setting is text, a problem inside a section set by one JSON
 * variable names that variable, and the Node set-up script's variables are not settings.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { runFaregate } from '../support/cli.ts';
import { GOOD_BUS_SETTINGS } from './goodSettings.ts';

const dir = mkdtempSync(join(tmpdir(), 'faregate-every-problem-'));
const at = (name: string) => join(dir, name);

const settings = (extra = '') => `
deviceId: gate-1
mode: bus
place: route-1
direction: board
scanner: { path: "tcp://127.0.0.1:9" }
trust: { file: no-trust.json }
dataDir: ./data
fare: { bus: { adult: 200 } }
mqtt: { url: "mqtt://127.0.0.1:1" }
settlement: { backendKeys: no-backend-keys.json }
lists: { rootKeys: no-root-keys.json }
group: { id: station-1, keys: no-group-keys.json, signingKey: no-gate-key.json }
commands: { operatorKeys: no-operator-keys.json }
${extra}`;

async function listed(file: string): Promise<string[]> {
  const r = await runFaregate(['run', '--config', file]);
  expect(r.code, r.stderr).toBe(3);
  return r.stderr.split('\n').filter((l) => l.startsWith('  - '));
}

describe('one start lists every problem', () => {
  it('every unusable file of every part, in one list', async () => {
    writeFileSync(at('files.yaml'), settings());
    const lines = await listed(at('files.yaml'));
    for (const setting of [
      'trust.file',
      'settlement.backendKeys',
      'lists.rootKeys',
      'group.keys',
      'group.signingKey',
      'commands.operatorKeys',
    ])
      expect(
        lines.some((l) => l.startsWith(`  - ${setting}: `)),
        `${setting} in ${lines.join('\n')}`,
      ).toBe(true);
  });

  it('a wrong field and the missing files beside it, in one list', async () => {
    writeFileSync(at('fields.yaml'), settings('token: { skew: lots }'));
    const lines = await listed(at('fields.yaml'));
    expect(lines.some((l) => l.startsWith('  - token.skew: '))).toBe(true);
    expect(lines).toEqual(
      expect.arrayContaining([
        `  - trust.file: ${at('no-trust.json')}: file not found`,
        `  - lists.rootKeys: ${at('no-root-keys.json')}: file not found`,
        `  - group.keys: ${at('no-group-keys.json')}: file not found`,
        `  - commands.operatorKeys: ${at('no-operator-keys.json')}: file not found`,
        `  - settlement.backendKeys: ${at('no-backend-keys.json')}: file not found`,
      ]),
    );
  });
});

describe('overrides from the environment', () => {
  const good = at('good.yaml');
  writeFileSync(at('trust.json'), '{"keys": []}');
  writeFileSync(good, GOOD_BUS_SETTINGS);

  it('a value that reads as a number is text where the setting is text', () => {
    const { config } = loadConfig(good, { FAREGATE_PLACE: '518', FAREGATE_DEVICE_ID: '1234' });
    expect(config.place).toBe('518');
    expect(config.deviceId).toBe('1234');
    // A number setting still takes the number.
    expect(loadConfig(good, { FAREGATE_TOKEN__SKEW: '10' }).config.token.skew).toBe(10);
  });

  it('a problem inside a section set by one JSON variable names it', () => {
    let problems: string[] = [];
    try {
      loadConfig(good, { FAREGATE_FARE__BUS: '{"adult": "x"}' });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems = e.problems;
    }
    expect(problems).toEqual([expect.stringMatching(/^fare\.bus\.adult: .* \(from FAREGATE_FARE__BUS\)$/)]);
  });

  it("the Node set-up script's variables are not settings", () => {
    const { envOverrides } = loadConfig(good, { FAREGATE_NODE_VERSION: '24', FAREGATE_NODE_CACHE: '/tmp/x' });
    expect(envOverrides).toEqual([]);
  });
});
