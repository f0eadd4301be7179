/**
 * `npm run demo` (the compiled dist/firmware-sim/demo.js) prints the fleet dashboard's and the
 * rider page's addresses, and both answer while it runs: the dashboard's fleet holds the five
 * demo gates, online; the rider page issues a wallet whose server-signed code the real
 * `faregate verify` accepts with the demo's trust list. Ctrl-C still ends it with every decision
 * as expected.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.ts';
import { waitFor } from '../support/pty.ts';
import { verifyCodes } from './riderSupport.ts';

const DEMO = join(REPO_ROOT, 'dist', 'firmware-sim', 'demo.js');

describe('the demo serves the dashboard and the rider page', () => {
  it('prints both addresses, and both work', { timeout: 90_000 }, async () => {
    const child = spawn(process.execPath, [DEMO, '--tcp'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    try {
      const dashboard = await waitFor(
        () => /fleet dashboard \(read-only\): (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1],
        'the dashboard address',
        30_000,
      );
      const rider = await waitFor(
        () => /rider page \(TEST-ONLY wallet, a live QR ride code\): (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1],
        'the rider page address',
        30_000,
      );
      expect(await (await fetch(dashboard)).text()).toContain('faregate fleet dashboard');
      // Each gate's passenger display answers with its page.
      const displays = await waitFor(
        () => {
          const found = [...out.matchAll(/passenger display of ([\w-]+): (http:\/\/127\.0\.0\.1:\d+\/)/g)];
          return found.length === 5 ? found.map((m) => [m[1]!, m[2]!] as const) : undefined;
        },
        'five passenger display addresses',
        30_000,
      );
      for (const [, address] of displays) {
        const res = await fetch(address);
        expect(res.status).toBe(200);
        expect(await res.text()).toContain('<html');
      }
      const gates = await waitFor(
        async () => {
          const f = (await (await fetch(`${dashboard}api/fleet`)).json()) as {
            snapshot: { gates: { deviceId: string; online: boolean | null }[] };
          };
          const online = f.snapshot.gates.filter((g) => g.online === true).map((g) => g.deviceId);
          return online.length === 5 ? online : undefined;
        },
        'five gates online on the dashboard',
        30_000,
        250,
      );
      expect(gates).toEqual(['demo-A-in', 'demo-A-out', 'demo-B-in', 'demo-B-out', 'demo-bus-42']);

      const page = await (await fetch(rider)).text();
      expect(page).toContain('TEST-ONLY demo wallet');
      const wallet = (await (await fetch(`${rider}api/wallet?rider=zhao-min&profile=child`)).json()) as { alg: string };
      expect(wallet.alg).toBe('ES256');
      const signed = (await (
        await fetch(`${rider}api/code`, {
          method: 'POST',
          body: JSON.stringify({ rider: 'zhao-min', profile: 'child' }),
        })
      ).json()) as { code: string };
      const [decision] = await verifyCodes([signed.code]);
      expect(decision).toMatchObject({ decision: 'accept', profile: 1 });
      const bad = await fetch(`${rider}api/wallet?rider=nobody&profile=child`);
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain('rider must be one of li-na, wang-wei, chen-jie, zhao-min');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(out.trimEnd().split('\n').at(-1)).toMatch(/^(\d+) of \1 decisions as expected/);
  });
});
