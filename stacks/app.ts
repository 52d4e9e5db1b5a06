import { App, Aspects, type TerraformStack } from 'cdktf';
import { HipaaChecks } from '../constructs/policies/index.js';
import { BootstrapStack } from './bootstrap-stack.js';
import { PlatformStack } from './platform-stack.js';
import { ENVIRONMENTS, type EnvironmentConfig, type EnvironmentName } from './environments.js';

export interface PlatformApp {
  readonly app: App;
  readonly stacks: Readonly<Record<'bootstrap' | EnvironmentName, TerraformStack>>;
}

export interface BuildAppOptions {
  /** Output directory. @default CDKTF_OUTDIR or "cdktf.out" */
  readonly outdir?: string;
  /** Environment configs. @default ENVIRONMENTS */
  readonly environments?: Readonly<Record<EnvironmentName, EnvironmentConfig>>;
}

/**
 * Builds the app: `bootstrap`, `staging`, `prod`, with the HIPAA rule pack added to **each stack** (an Aspect on the
 * App never reaches the manifest with cdktf 0.21). Shared by `stacks/main.ts`, the tests, the bench and
 * `platform infra diff`.
 */
export function buildApp(options: BuildAppOptions = {}): PlatformApp {
  const environments = options.environments ?? ENVIRONMENTS;
  const app = new App({ outdir: options.outdir, stackTraces: false });
  const stacks = {
    bootstrap: new BootstrapStack(app, 'bootstrap', [environments.staging, environments.prod]),
    staging: new PlatformStack(app, 'staging', environments.staging),
    prod: new PlatformStack(app, 'prod', environments.prod),
  };
  for (const stack of Object.values(stacks)) Aspects.of(stack).add(new HipaaChecks());
  return { app, stacks };
}
