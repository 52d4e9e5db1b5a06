import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Aspects, TerraformStack, Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider/index.js';
import { HipaaChecks, policyErrors, type Finding } from '../../constructs/policies/index.js';
import type { TerraformJson } from '../../stacks/synth.js';

export type Attrs = Record<string, any>;

/** All resources of a type in a synthesized stack, as attribute objects. */
export function resources(json: TerraformJson, type: string): Attrs[] {
  return Object.values(json.resource?.[type] ?? {}) as Attrs[];
}

/** The one resource of a type whose construct path ends with `pathSuffix`. */
export function resourceAt(json: TerraformJson, type: string, pathSuffix: string): Attrs {
  const found = resources(json, type).filter((r) => String(r['//']?.metadata?.path ?? '').endsWith(pathSuffix));
  if (found.length !== 1) throw new Error(`expected one ${type} at …${pathSuffix}, found ${found.length}`);
  return found[0]!;
}

/** Every string anywhere in a JSON value. */
export function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(allStrings);
  return [];
}

let scratch: string | undefined;

/**
 * Builds a throwaway stack with the rule pack, lets `build` add constructs, synthesizes it with Testing.synth and
 * returns the rule-pack findings (error annotations).
 */
export function findingsFor(build: (stack: Construct) => void): Finding[] {
  const app = new App({ outdir: (scratch ??= mkdtempSync(join(tmpdir(), 'hipaa-rules-'))), stackTraces: false });
  const stack = new TerraformStack(app, 'test');
  new GoogleProvider(stack, 'google', { project: 'test-project', region: 'us-central1' });
  build(stack);
  Aspects.of(stack).add(new HipaaChecks());
  Testing.synth(stack);
  return policyErrors(stack);
}
