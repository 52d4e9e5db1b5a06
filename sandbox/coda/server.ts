import { listenOnLoopback } from '../http.js';
import { createCodaSandbox } from './app.js';
import type { CodaSandboxControl, CodaSandboxOptions } from './app.js';

export interface StartCodaSandboxOptions extends CodaSandboxOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. @default 0 */
  readonly port?: number;
}

export interface RunningCodaSandbox {
  /** Base URL including `/apis/v1`, e.g. `http://127.0.0.1:41234/apis/v1`. */
  readonly url: string;
  readonly port: number;
  readonly control: CodaSandboxControl;
  /** Stops listening and cancels pending apply timers. */
  close(): Promise<void>;
}

/**
 * Starts the Coda sandbox on a loopback port.
 * @example
 * const coda = await startCodaSandbox({ tokens: ['local-token'] });
 * // CODA_BASE_URL=coda.url
 */
export async function startCodaSandbox(options: StartCodaSandboxOptions): Promise<RunningCodaSandbox> {
  const { app, control } = createCodaSandbox(options);
  const server = await listenOnLoopback(app.fetch, { port: options.port ?? 0 });
  return {
    url: `${server.url}/apis/v1`,
    port: server.port,
    control,
    close: () => {
      control.dispose();
      return server.close();
    },
  };
}
