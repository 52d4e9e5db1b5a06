import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { ServerType } from '@hono/node-server';
import { IAP_JWKS_PATH, JWKS_PATH, createGoogleOidcSandbox } from './app.js';
import type { GoogleOidcSandboxControl, GoogleOidcSandboxOptions } from './app.js';

export interface StartGoogleOidcSandboxOptions extends GoogleOidcSandboxOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. @default 0 */
  readonly port?: number;
}

export interface RunningGoogleOidcSandbox {
  /** Origin, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** ID-token JWKS (for `AUTH_OIDC_JWKS_URL`). */
  readonly jwksUrl: string;
  /** IAP JWKS. */
  readonly iapJwksUrl: string;
  readonly port: number;
  readonly control: GoogleOidcSandboxControl;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 and resolves once the port is bound. */
function listenOnLoopback(fetch: (request: Request) => Response | Promise<Response>, port: number) {
  return new Promise<{ server: ServerType; port: number }>((resolve, reject) => {
    const server = serve({ fetch, port, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve({ server, port: info.port }));
    server.once('error', reject);
  });
}

/** Starts the Google OIDC issuer stand-in on a loopback port. */
export async function startGoogleOidcSandbox(options: StartGoogleOidcSandboxOptions = {}): Promise<RunningGoogleOidcSandbox> {
  const { app, control } = await createGoogleOidcSandbox(options);
  const { server, port } = await listenOnLoopback(app.fetch, options.port ?? 0);
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    jwksUrl: `${url}${JWKS_PATH}`,
    iapJwksUrl: `${url}${IAP_JWKS_PATH}`,
    port,
    control,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
