#!/usr/bin/env node
// The `faregate` command (package.json "bin", compiled to dist/src/cli/faregate.js).
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
