import { startSandbox, type RunningSandbox } from '../http.js';
import { IAP_JWKS_PATH, JWKS_PATH, createGoogleOidcSandbox } from './app.js';
import type { GoogleOidcSandboxControl, GoogleOidcSandboxOptions } from './app.js';

export interface StartGoogleOidcSandboxOptions extends GoogleOidcSandboxOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. @default 0 */
  readonly port?: number;
}

/** `url` is the issuer origin, e.g. `http://127.0.0.1:41234`; the two JWKS URLs are derived from it. */
export interface RunningGoogleOidcSandbox extends RunningSandbox<GoogleOidcSandboxControl> {
  /** ID-token JWKS (for `AUTH_OIDC_JWKS_URL`). */
  readonly jwksUrl: string;
  /** IAP JWKS. */
  readonly iapJwksUrl: string;
}

/** Starts the Google OIDC issuer stand-in on a loopback port. */
export async function startGoogleOidcSandbox(
  options: StartGoogleOidcSandboxOptions = {},
): Promise<RunningGoogleOidcSandbox> {
  const { app, control } = await createGoogleOidcSandbox(options);
  const running = await startSandbox(app, control, { port: options.port ?? 0 });
  return { ...running, jwksUrl: `${running.url}${JWKS_PATH}`, iapJwksUrl: `${running.url}${IAP_JWKS_PATH}` };
}
