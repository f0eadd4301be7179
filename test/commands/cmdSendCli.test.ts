/**
 * `faregate cmd send` against the real service over a real broker: signs with an operator
 * private JWK, publishes, waits for the reply with its id and prints it. Exit 0 when done,
 * 1 when refused, 2 for unusable arguments.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runFaregate } from '../support/cli.ts';
import { killAllServices } from '../support/serviceProcess.ts';
import { main } from '../../src/cli/main.ts';
import { Harness, operatorSigner } from './harness.ts';

async function cli(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    stdin: (async function* () {})(),
    writeLine: async (l) => void out.push(l),
    error: (l) => void err.push(l),
  });
  return { code, out, err };
}

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => {
  await h?.stop();
  await killAllServices();
});

describe('faregate cmd send', () => {
  it('prints the reply; exit 0 ok, 1 refused, 2 usage', async () => {
    const keyFile = join(h.dir, 'operator.jwk.json');
    writeFileSync(
      keyFile,
      JSON.stringify({ ...h.op.privateKey.export({ format: 'jwk' }), alg: 'EdDSA', kid: h.op.kid }),
    );
    const stranger = operatorSigner();
    const strangerFile = join(h.dir, 'stranger.jwk.json');
    writeFileSync(
      strangerFile,
      JSON.stringify({ ...stranger.privateKey.export({ format: 'jwk' }), kid: stranger.kid }),
    );
    const base = ['cmd', 'send', '--mqtt', h.broker!.url, '--device', h.deviceId];

    // One run as a real process (the package's bin), the rest in-process through main().
    const ok = await runFaregate([
      ...base,
      '--cmd',
      'out_of_service',
      '--args',
      '{"on":true}',
      '--key',
      keyFile,
      '--ttl',
      '30',
      '--id',
      'cli-1',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(jsonLines(ok.stdout)[0]).toMatchObject({
      id: 'cli-1',
      ok: true,
      cmd: 'out_of_service',
      deviceId: h.deviceId,
      result: { on: true },
    });

    const refused = await cli([...base, '--cmd', 'status', '--key', strangerFile]);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.out[0]!)).toMatchObject({ ok: false, error: 'unknown_kid' });
    expect(refused.err.join('\n')).toMatch(/refused: unknown_kid/);
    // The same id again: refused as replayed.
    const again = await cli([
      ...base,
      '--cmd',
      'out_of_service',
      '--args',
      '{"on":false}',
      '--key',
      keyFile,
      '--id',
      'cli-1',
    ]);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.out[0]!)).toMatchObject({ id: 'cli-1', ok: false, error: 'replayed' });

    const usage = await Promise.all([
      cli([...base, '--cmd', 'status', '--key', keyFile, '--args', '[1]']),
      cli(['cmd', 'send', '--device', h.deviceId, '--cmd', 'status', '--key', keyFile]),
      cli([...base, '--cmd', 'status', '--key', join(h.dir, 'operators.json')]),
      cli([...base, '--cmd', 'status', '--key', keyFile, '--ttl', 'soon']),
      cli(['cmd', 'receive']),
    ]);
    expect(usage.map((u) => u.code)).toEqual([2, 2, 2, 2, 2]);
    expect(usage[1].err.join('\n')).toMatch(/--mqtt/);
    expect((await h.send('status')).result!.status).toMatchObject({
      policy: { modes: { out_of_service: { on: true, by: 'cli-1' } } },
    });
  });
});
