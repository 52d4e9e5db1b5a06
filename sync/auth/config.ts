import type { GoogleIdTokenVerifierOptions } from './google-id-token.js';
import type { IapVerifierOptions } from './iap.js';

import type { AuthEnv, PushAuthMode } from '../../contract/env.js';

// The variables and their rules live in the deploy contract; this module turns parsed values into verifier settings.
export { authEnvSchema, authEnvShape, checkAuthEnv, pushAuthModes } from '../../contract/env.js';
export type { AuthEnv, PushAuthMode } from '../../contract/env.js';

/** What the services' factories need, derived from parsed env. */
export interface AuthSettings {
  /** Google ID-token verifier options for scheduler/operator endpoints; undefined when audience or emails are unset. */
  readonly oidc: GoogleIdTokenVerifierOptions | undefined;
  /** The same for Pub/Sub push (`PUSH_OIDC_ALLOWED_EMAILS`, else the operator list). */
  readonly pushOidc: GoogleIdTokenVerifierOptions | undefined;
  /** IAP verifier options; undefined when `AUTH_IAP_AUDIENCE` is unset (staff access disabled). */
  readonly iap: IapVerifierOptions | undefined;
  readonly pushAuth: PushAuthMode;
  /** Cloud Run's service name when running there. */
  readonly kService: string | undefined;
}

export function authSettingsFromEnv(env: AuthEnv): AuthSettings {
  const oidcFor = (allowedEmails: string[] | undefined): GoogleIdTokenVerifierOptions | undefined =>
    env.AUTH_OIDC_AUDIENCE && allowedEmails
      ? { jwksUrl: env.AUTH_OIDC_JWKS_URL, audience: env.AUTH_OIDC_AUDIENCE, allowedEmails }
      : undefined;
  return {
    oidc: oidcFor(env.AUTH_OIDC_ALLOWED_EMAILS),
    pushOidc: oidcFor(env.PUSH_OIDC_ALLOWED_EMAILS ?? env.AUTH_OIDC_ALLOWED_EMAILS),
    iap: env.AUTH_IAP_AUDIENCE ? { jwksUrl: env.AUTH_IAP_JWKS_URL, audience: env.AUTH_IAP_AUDIENCE } : undefined,
    pushAuth: env.PUSH_AUTH,
    kService: env.K_SERVICE || undefined,
  };
}
