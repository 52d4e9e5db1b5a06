import { listenOnLoopback } from '../http.js';
import { createDrChronoSandbox } from './app.js';
import type { DrChronoSandboxControl, DrChronoSandboxOptions } from './app.js';

export interface StartDrChronoSandboxOptions extends DrChronoSandboxOptions {
  /** Loopback port; 0 picks a free one. @default 0 */
  readonly port?: number;
}

export interface RunningDrChronoSandbox {
  /** Base URL, e.g. `http://127.0.0.1:41234`; the API is at `${url}/api/...`, the token endpoint at `${url}/o/token/`. */
  readonly url: string;
  readonly control: DrChronoSandboxControl;
  close(): Promise<void>;
}

/** Starts the DrChrono sandbox on 127.0.0.1 and resolves once it is listening. */
export async function startDrChronoSandbox(options: StartDrChronoSandboxOptions = {}): Promise<RunningDrChronoSandbox> {
  const { app, control } = createDrChronoSandbox(options);
  const server = await listenOnLoopback(app.fetch, { port: options.port ?? 0 });
  return { url: server.url, control, close: () => server.close() };
}
