import { startSandbox, type RunningSandbox } from '../http.js';
import { CODA_API_PREFIX, createCodaSandbox } from './app.js';
import type { CodaSandboxControl, CodaSandboxOptions } from './app.js';

export interface StartCodaSandboxOptions extends CodaSandboxOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. @default 0 */
  readonly port?: number;
}

/** `url` includes `/apis/v1`, e.g. `http://127.0.0.1:41234/apis/v1`; `close()` also cancels pending apply timers. */
export type RunningCodaSandbox = RunningSandbox<CodaSandboxControl>;

/**
 * Starts the Coda sandbox on a loopback port.
 * @example
 * const coda = await startCodaSandbox({ tokens: ['local-token'] });
 * // CODA_BASE_URL=coda.url
 */
export async function startCodaSandbox(options: StartCodaSandboxOptions): Promise<RunningCodaSandbox> {
  const { app, control } = createCodaSandbox(options);
  return startSandbox(app, control, {
    port: options.port ?? 0,
    pathPrefix: CODA_API_PREFIX,
    onClose: () => control.dispose(),
  });
}
