import { listenOnLoopback } from '../http.js';
import { createSecretManagerSandbox } from './app.js';
import type { SecretManagerSandboxControl, SecretManagerSandboxOptions } from './app.js';

export { createSecretManagerSandbox } from './app.js';
export type { SandboxSecretVersion, SecretManagerSandbox, SecretManagerSandboxControl, SecretManagerSandboxOptions, SecretVersionState } from './app.js';

export interface StartSecretManagerSandboxOptions extends SecretManagerSandboxOptions {
  /** Loopback port; 0 picks a free one. @default 0 */
  readonly port?: number;
}

export interface RunningSecretManagerSandbox {
  /** API base, like `https://secretmanager.googleapis.com/v1`: `http://127.0.0.1:<port>/v1`. */
  readonly baseUrl: string;
  readonly control: SecretManagerSandboxControl;
  close(): Promise<void>;
}

/** Starts the Secret Manager stand-in on 127.0.0.1 and resolves once it is listening. */
export async function startSecretManagerSandbox(options: StartSecretManagerSandboxOptions = {}): Promise<RunningSecretManagerSandbox> {
  const { app, control } = createSecretManagerSandbox(options);
  const server = await listenOnLoopback(app.fetch, { port: options.port ?? 0 });
  return { baseUrl: `${server.url}/v1`, control, close: () => server.close() };
}
