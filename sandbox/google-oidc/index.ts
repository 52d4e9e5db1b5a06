export { createGoogleOidcSandbox, DISCOVERY_PATH, GOOGLE_ISSUER, IAP_ISSUER, IAP_JWKS_PATH, JWKS_PATH } from './app.js';
export type {
  GoogleOidcSandbox,
  GoogleOidcSandboxControl,
  GoogleOidcSandboxOptions,
  MintIapJwtOptions,
  MintIdTokenOptions,
} from './app.js';
export { startGoogleOidcSandbox } from './server.js';
export type { RunningGoogleOidcSandbox, StartGoogleOidcSandboxOptions } from './server.js';
