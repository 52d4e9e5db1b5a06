#!/usr/bin/env node
// The package's `platform` bin: runs the TypeScript CLI through tsx so the repository needs no build step locally.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
