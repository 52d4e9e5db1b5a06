#!/usr/bin/env node
// The package's `platform` bin: runs the TypeScript CLI through tsx so the repository needs no build step locally.
// npm runs a bin through a symlink (node_modules/.bin/platform), so main.ts cannot tell from argv[1] that it is the
// entry point: the bin calls main() itself.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
