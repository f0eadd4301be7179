/**
 * vitest global setup: compiles src/ and firmware-sim/ to dist/ (incremental, ~2 s when nothing
 * changed) so that every test that starts the real `faregate` command runs the code under test,
 * as the package ships it, even when vitest is run without `npm test`.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'src'], { cwd: root, stdio: 'inherit' });
}
