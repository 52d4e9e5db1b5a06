import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { ServerType } from '@hono/node-server';
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

/** Listens on 127.0.0.1 and resolves once the port is bound. */
function listenOnLoopback(fetch: (request: Request) => Response | Promise<Response>, port: number) {
  return new Promise<{ server: ServerType; port: number }>((resolve, reject) => {
    const server = serve({ fetch, port, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve({ server, port: info.port }));
    server.once('error', reject);
  });
}

/**
 * Starts the Coda sandbox on a loopback port.
 * @example
 * const coda = await startCodaSandbox({ tokens: ['local-token'] });
 * // CODA_BASE_URL=coda.url
 */
export async function startCodaSandbox(options: StartCodaSandboxOptions): Promise<RunningCodaSandbox> {
  const { app, control } = createCodaSandbox(options);
  const { server, port } = await listenOnLoopback(app.fetch, options.port ?? 0);
  return {
    url: `http://127.0.0.1:${port}/apis/v1`,
    port,
    control,
    close: () =>
      new Promise<void>((resolve, reject) => {
        control.dispose();
        server.close((err) => (err ? reject(err) : resolve()));
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
