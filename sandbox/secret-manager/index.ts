import { startSandbox, type RunningSandbox } from '../http.js';
import { createSecretManagerSandbox } from './app.js';
import type { SecretManagerSandboxControl, SecretManagerSandboxOptions } from './app.js';

export { createSecretManagerSandbox } from './app.js';
export type {
  SandboxSecretVersion,
  SecretManagerSandbox,
  SecretManagerSandboxControl,
  SecretManagerSandboxOptions,
  SecretVersionState,
} from './app.js';

export interface StartSecretManagerSandboxOptions extends SecretManagerSandboxOptions {
  /** Loopback port; 0 picks a free one. @default 0 */
  readonly port?: number;
}

/** `url` is the API base, like `https://secretmanager.googleapis.com/v1`: `http://127.0.0.1:<port>/v1`. */
export type RunningSecretManagerSandbox = RunningSandbox<SecretManagerSandboxControl>;

/** Starts the Secret Manager stand-in on 127.0.0.1 and resolves once it is listening. */
export async function startSecretManagerSandbox(
  options: StartSecretManagerSandboxOptions = {},
): Promise<RunningSecretManagerSandbox> {
  const { app, control } = createSecretManagerSandbox(options);
  return startSandbox(app, control, { port: options.port ?? 0, pathPrefix: '/v1' });
}
