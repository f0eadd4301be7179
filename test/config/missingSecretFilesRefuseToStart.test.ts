/**
 * A broker password file or TLS file that is missing is a settings problem: the real
 * `faregate run` refuses to start with exit code 3 and lists it with the path of its setting,
 * together with the other file problems, instead of crashing once the service runs.
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKEND_KEYS_REQUIRED } from '../../src/settlement/ackKeys.ts';
import { REPO_ROOT, runFaregate } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'faregate-secret-files-'));
copyFileSync(join(REPO_ROOT, 'config', 'dev', 'trust.json'), join(dir, 'trust.json'));
mkdirSync(join(dir, 'certs'));
writeFileSync(join(dir, 'password'), 'secret\n');

const settings = (mqtt: string, trust = 'trust.json') => `
deviceId: bus-1
mode: bus
place: route-1
direction: board
scanner: { path: "tcp://127.0.0.1:9" }
trust: { file: ${trust} }
dataDir: ./data
fare: { bus: { adult: 200 } }
mqtt: ${mqtt}
`;

describe('settings files read at start', () => {
  it('missing password and TLS files are listed with the other problems, exit code 3', async () => {
    const file = join(dir, 'missing.yaml');
    writeFileSync(
      file,
      settings(
        '{ url: "mqtts://127.0.0.1:1", passwordFile: nope.txt, tls: { ca: ca.pem, cert: certs, key: password } }',
        'no-trust.json',
      ),
    );
    const r = await runFaregate(['run', '--config', file]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/refusing to start/);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('  - '));
    expect(lines).toEqual([
      `  - trust.file: ${join(dir, 'no-trust.json')}: file not found`,
      `  - mqtt.passwordFile: ${join(dir, 'nope.txt')}: file not found`,
      `  - mqtt.tls.ca: ${join(dir, 'ca.pem')}: file not found`,
      `  - mqtt.tls.cert: ${join(dir, 'certs')} is a folder, not a file`,
      // A validator with mqtt insists on signed acks (settlement-mqtt-v1 Amendment 1).
      `  - ${BACKEND_KEYS_REQUIRED}`,
    ]);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });
});
