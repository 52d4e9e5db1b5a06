import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type BuildAppOptions } from './app.js';
import { policyErrors, type Finding } from '../constructs/policies/index.js';

/** A synthesized `cdk.tf.json`. */
export interface TerraformJson {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly terraform?: Record<string, unknown>;
  readonly variable?: Record<string, unknown>;
  readonly output?: Record<string, unknown>;
  readonly provider?: Record<string, unknown>;
}

export interface SynthResult {
  /** Parsed cdk.tf.json per stack name. */
  readonly stacks: Record<string, TerraformJson>;
  /** Rule-pack (and other) error annotations; non-empty means synth failed. */
  readonly errors: readonly Finding[];
}

/**
 * Synthesizes every stack in-process (no cdktf CLI) into `outdir` (a fresh temp dir, removed afterwards, when
 * unset) and returns the JSON plus error annotations. Callers must treat non-empty `errors` as a failed synth.
 */
export function synthesizeAll(options: BuildAppOptions = {}): SynthResult {
  const outdir = options.outdir ?? mkdtempSync(join(tmpdir(), 'cdktf-synth-'));
  try {
    const { app, stacks } = buildApp({ ...options, outdir });
    try {
      app.synth();
    } catch (error) {
      if (policyErrors(app).length === 0) throw error;
      return { stacks: {}, errors: policyErrors(app) };
    }
    const json: Record<string, TerraformJson> = {};
    for (const name of Object.keys(stacks)) {
      json[name] = JSON.parse(readFileSync(join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8')) as TerraformJson;
    }
    return { stacks: json, errors: policyErrors(app) };
  } finally {
    if (options.outdir === undefined) rmSync(outdir, { recursive: true, force: true });
  }
}
