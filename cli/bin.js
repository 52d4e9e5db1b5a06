#!/usr/bin/env node
// The package's `platform` bin: runs the TypeScript CLI through tsx so the repository needs no build step locally.
// npm runs a bin through a symlink (node_modules/.bin/platform), so main.ts cannot tell from argv[1] that it is the
// entry point: the bin calls runCli() itself.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('./main.ts');
await runCli(process.argv.slice(2));
