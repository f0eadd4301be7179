/**
 * A `jtt.roots` setting that cannot be used stops `faregate run` before anything starts (exit 3),
 * with the setting path and every jtt1179-reading §5 problem of the file listed at once, beside
 * the other settings problems (here a missing trust file).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFaregate } from '../support/cli.ts';
import { busSettings } from '../support/serviceProcess.ts';
import { ROOT } from '../jtt/jttFixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'faregate-bad-jtt-'));

async function run(extra: Record<string, unknown>): Promise<{ code: number | null; stderr: string }> {
  const file = join(dir, `settings-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(busSettings('/dev/null', join(dir, 'data'), extra)));
  return runFaregate(['run', '--config', file]);
}

function rootsFileOf(json: unknown): string {
  const file = join(dir, `roots-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof json === 'string' ? json : JSON.stringify(json));
  return file;
}

const good = ROOT.compressed.toString('hex');

describe('bad jtt.roots settings refuse to start', () => {
  it('lists every problem of the root-key file by entry, and the other settings problems too', async () => {
    const file = rootsFileOf({
      roots: [
        { index: 300, key: good },
        { index: 1, key: 'zz' },
        { index: 23, key: good },
        { index: 23, key: good },
        { index: 2, key: '02' + 'ff'.repeat(32) },
        { index: 3, key: good, exp: 'soon' },
        // Two problems in one entry; an index repeated after an entry that is wrong otherwise.
        { index: 'x', key: good, exp: 'soon' },
        { index: 9, key: 'zz' },
        { index: 9, key: good },
      ],
    });
    const r = await run({ jtt: { roots: file }, trust: { file: join(dir, 'no-trust.json') } });
    expect(r.code).toBe(3);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('  - '));
    expect(lines).toEqual([
      `  - trust.file: ${join(dir, 'no-trust.json')}: file not found`,
      `  - jtt.roots: ${file} is unusable: roots[0].index: must be an integer 0-255`,
      `  - jtt.roots: ${file} is unusable: roots[1].key: not hex`,
      `  - jtt.roots: ${file} is unusable: roots[3].index: 23 is repeated (also roots[2])`,
      `  - jtt.roots: ${file} is unusable: roots[4].key: not a valid compressed SM2 point`,
      `  - jtt.roots: ${file} is unusable: roots[5].exp: must be an integer (Unix seconds)`,
      `  - jtt.roots: ${file} is unusable: roots[6].index: must be an integer 0-255`,
      `  - jtt.roots: ${file} is unusable: roots[6].exp: must be an integer (Unix seconds)`,
      `  - jtt.roots: ${file} is unusable: roots[7].key: not hex`,
      `  - jtt.roots: ${file} is unusable: roots[8].index: 9 is repeated (also roots[7])`,
    ]);
  });

  it.each([
    ['a missing file', () => join(dir, 'absent.json'), /jtt\.roots: .*absent\.json: file not found/],
    ['not JSON', () => rootsFileOf('{"roots": ['), /jtt\.roots: .*: not valid JSON/],
    ['no roots array', () => rootsFileOf({ keys: [] }), /jtt\.roots: .* is unusable: "roots" must be an array/],
  ])('%s', async (_name, path, message) => {
    const r = await run({ jtt: { roots: path() } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(message);
  });

  it('an empty path or an unknown member of the jtt section is a settings problem', async () => {
    const r = await run({ jtt: { roots: '', root: 'x' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^ {2}- jtt\.roots: .*>=1 characters$/m);
    expect(r.stderr).toMatch(/^ {2}- jtt\.root: unknown setting; did you mean roots\?$/m);
  });
});
