#!/usr/bin/env node
// The `faregate` command (package.json "bin", compiled to dist/src/cli/faregate.js).
// `--version` loads only the package folder lookup; everything else goes through main, which
// imports a command's module only when that command runs.
const argv = process.argv.slice(2);
let code: number;
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  const { packageVersion } = await import('../platform/packageRoot.ts');
  process.stdout.write(packageVersion() + '\n');
  code = 0;
} else {
  const { main } = await import('./main.ts');
  code = await main(argv);
}
process.exitCode = code;
// A command that failed may leave a handle open (a half-started service, a socket): it still
// exits, once its last output had a moment to drain.
if (code !== 0) setTimeout(() => process.exit(code), 1000).unref();
