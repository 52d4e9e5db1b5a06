import { listenOnLoopback } from '../http.js';
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

/** Starts the Google OIDC issuer stand-in on a loopback port. */
export async function startGoogleOidcSandbox(options: StartGoogleOidcSandboxOptions = {}): Promise<RunningGoogleOidcSandbox> {
  const { app, control } = await createGoogleOidcSandbox(options);
  const server = await listenOnLoopback(app.fetch, { port: options.port ?? 0 });
  return {
    url: server.url,
    jwksUrl: `${server.url}${JWKS_PATH}`,
    iapJwksUrl: `${server.url}${IAP_JWKS_PATH}`,
    port: server.port,
    control,
    close: () => server.close(),
  };
}
