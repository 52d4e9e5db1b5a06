import { startSandbox, type RunningSandbox } from '../http.js';
import { createDrChronoSandbox } from './app.js';
import type { DrChronoSandboxControl, DrChronoSandboxOptions } from './app.js';

export interface StartDrChronoSandboxOptions extends DrChronoSandboxOptions {
  /** Loopback port; 0 picks a free one. @default 0 */
  readonly port?: number;
}

/** `url` is the origin, e.g. `http://127.0.0.1:41234`; the API is at `${url}/api/...`, the token endpoint at `${url}/o/token/`. */
export type RunningDrChronoSandbox = RunningSandbox<DrChronoSandboxControl>;

/** Starts the DrChrono sandbox on 127.0.0.1 and resolves once it is listening. */
export async function startDrChronoSandbox(options: StartDrChronoSandboxOptions = {}): Promise<RunningDrChronoSandbox> {
  const { app, control } = createDrChronoSandbox(options);
  return startSandbox(app, control, { port: options.port ?? 0 });
}
