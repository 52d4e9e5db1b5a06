// Caller authentication for the services' protected endpoints (DESIGN §6). No Hono here: the middleware in
// handlers/middleware/google-auth.ts maps these results and errors to HTTP.
export {
  AuthError,
  ForbiddenIdentityError,
  InvalidTokenError,
  MissingCredentialsError,
  VerifierUnavailableError,
} from './errors.js';
export type { AuthFailureReason } from './errors.js';
export { createGoogleIdTokenVerifier, GOOGLE_ISSUERS, GOOGLE_JWKS_URL } from './google-id-token.js';
export type { GoogleIdentity, GoogleIdTokenVerifier, GoogleIdTokenVerifierOptions } from './google-id-token.js';
export { createIapVerifier, IAP_HEADER, IAP_ISSUER, IAP_JWKS_URL } from './iap.js';
export type { IapIdentity, IapVerifier, IapVerifierOptions } from './iap.js';
export type { JwksOptions } from './jwt.js';
export { hasStaffRole, staffRolesFor } from './staff-roles.js';
export type { StaffRole } from './staff-roles.js';
export { authEnvSchema, authEnvShape, authSettingsFromEnv, checkAuthEnv, pushAuthModes } from './config.js';
export type { AuthEnv, AuthSettings, PushAuthMode } from './config.js';
export { hashIdentity } from './identity-hash.js';
