/**
 * spec §5: a JSON line `{"qr": "...", "at": UNIX}` is decided at `at`; without `at`, at --now;
 * any other JSON (an array, null, a number for qr, a string or non-finite at, broken JSON) is
 * answered `malformed`, one answer per line, in order. A JSON line may begin with white space.
 */
import { describe, expect, it } from 'vitest';
import { jsonLines, runFaregate } from '../support/cli.ts';
import { makeRider } from '../support/riders.ts';
import { DEV_TRUST } from '../support/serviceProcess.ts';

describe('faregate verify reads JSON lines of every shape', () => {
  it('decides the well-formed ones at their time and answers malformed to the rest', async () => {
    const now = Math.floor(Date.now() / 1000);
    const riders = Array.from({ length: 4 }, () => makeRider());
    const [a, b, c, d] = riders.map((r) => r.code(now)) as [string, string, string, string];
    const lines = [
      JSON.stringify({ qr: a, at: now }), // accept at its own time
      JSON.stringify({ qr: b, at: now + 3600 }), // an hour later: expired
      JSON.stringify({ qr: c, extra: [1, 2] }), // no at: decided at --now; other members ignored
      JSON.stringify([a]),
      'null',
      JSON.stringify({ qr: 12, at: now }),
      JSON.stringify({ qr: a, at: String(now) }),
      `{"qr": ${JSON.stringify(a)}, "at": 1e999}`, // JSON.parse gives Infinity
      `{"qr": ${JSON.stringify(a)}, "at": `,
      ` \t${JSON.stringify({ qr: d, at: now })}`, // JSON may start with white space (RFC 8259)
    ];
    const r = await runFaregate(['verify', '--trust', DEV_TRUST, '--now', String(now + 1)], {
      input: lines.join('\n') + '\n',
    });
    expect(r.code, r.stderr).toBe(0);
    const out = jsonLines(r.stdout);
    expect(out).toHaveLength(lines.length);
    expect(out[0]).toMatchObject({ decision: 'accept', sub: riders[0]!.sub });
    expect(out[1]).toMatchObject({ decision: 'reject', reason: 'code_expired' });
    expect(out[2]).toMatchObject({ decision: 'accept', sub: riders[2]!.sub });
    // `null` is valid base64 whose first byte is 0x9e: jtt1179-reading §1 sends it down the JT/T path
    expect(out[4]).toEqual({ decision: 'reject', reason: 'malformed', format: 'jtt1179' });
    expect(out[9]).toMatchObject({ decision: 'accept', sub: riders[3]!.sub });
    for (const o of [out[3], ...out.slice(5, 9)]) expect(o).toEqual({ decision: 'reject', reason: 'malformed' });
  });
});
