import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.ts';
import { StartupError, ValidatorService } from '../../src/service/validatorService.ts';
import { captureLogger } from '../support/captureLogger.ts';
import { busSettings } from '../support/serviceProcess.ts';
import { groupKeys } from './groupHarness.ts';

function build(extra: Record<string, unknown>): unknown {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'faregate-grpcfg-')), 'data');
  const config = ConfigSchema.parse(busSettings('/dev/fake-scanner', dataDir, extra));
  try {
    new ValidatorService(config, { logger: captureLogger(), scannerTransport: () => undefined as never });
    return undefined;
  } catch (e) {
    return e;
  }
}

describe('group settings that cannot work refuse the start', () => {
  const keys = groupKeys(['gate-1', 'gate-2']);
  const group = { id: 'station-1', keys: keys.keysFile, signingKey: keys.signingKeyFile('gate-1') };
  const mqtt = { url: 'mqtt://127.0.0.1:1' };

  it('group without an mqtt section', () => {
    const e = build({ deviceId: 'gate-1', group });
    expect(e).toBeInstanceOf(StartupError);
    expect((e as StartupError).problems).toEqual([
      'group: needs an mqtt section (the gates share accepts over the broker)',
    ]);
  });

  it('a key set without this gate, a signing key that is not its key, a missing key file', () => {
    const other = build({ deviceId: 'gate-3', mqtt, group: { ...group, signingKey: keys.signingKeyFile('gate-1') } });
    expect((other as StartupError).problems).toEqual([
      'group.keys: no key with kid gate-3 (this gate): the others could not verify it',
    ]);
    const swapped = build({ deviceId: 'gate-2', mqtt, group });
    expect((swapped as StartupError).problems).toEqual(["group.keys: the key of gate-2 is not group.signingKey's"]);
    const missing = build({ deviceId: 'gate-1', mqtt, group: { ...group, keys: join(keys.dir, 'nope.json') } });
    expect((missing as StartupError).problems[0]).toMatch(/^group\.keys: .*nope\.json: file not found/);
  });

  it('a public key set given as the signing key is refused (a public key cannot sign)', () => {
    const e = build({ deviceId: 'gate-1', mqtt, group: { ...group, signingKey: keys.keysFile } });
    expect((e as StartupError).problems).toEqual([
      `group.signingKey: ${keys.keysFile}: a private key (a JWK with "d") is needed`,
    ]);
  });
});
