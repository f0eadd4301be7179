/**
 * The tarball a gate is installed from (`npm pack && npm install -g ./faregate-*.tgz`, as the
 * deployment guide says) holds the compiled bin and the example settings, and no TEST-ONLY key,
 * development list or broker secret. `npm pack --dry-run` lists the files without writing them.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.ts';

describe('npm pack of the checkout', () => {
  it('ships the bin and the examples, never config/dev, a key or a password file', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain('dist/src/cli/faregate.js');
    expect(files).toContain('config/bus-reader.example.yaml');
    expect(files).toContain('docs/deploy/faregate.service');
    const forbidden = files.filter((f) => /TEST-ONLY|^config\/dev\/|\.jwk\.json$|\.password$|mosquitto\/passwd$|\.sqlite/.test(f));
    expect(forbidden).toEqual([]);
  }, 60_000);
});
