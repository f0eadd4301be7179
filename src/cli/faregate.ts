#!/usr/bin/env node
// The `faregate` command (package.json "bin", compiled to dist/src/cli/faregate.js).
import { main } from './main.ts';

const code = await main(process.argv.slice(2));
process.exitCode = code;
// A command that failed may leave a handle open (a half-started service, a socket): it still
// exits, once its last output had a moment to drain.
if (code !== 0) setTimeout(() => process.exit(code), 1000).unref();
