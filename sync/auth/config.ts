import { z } from 'zod';
import { GOOGLE_JWKS_URL } from './google-id-token.js';
import type { GoogleIdTokenVerifierOptions } from './google-id-token.js';
import { IAP_JWKS_URL } from './iap.js';
import type { IapVerifierOptions } from './iap.js';

export const pushAuthModes = ['oidc', 'none'] as const;
export type PushAuthMode = (typeof pushAuthModes)[number];

const commaList = z
  .string()
  .transform((s) => s.split(',').map((v) => v.trim()).filter((v) => v !== ''))
  .refine((list) => list.length > 0, 'must list at least one value (comma-separated)');

const emailList = commaList.refine(
  (list) => list.every((e) => /^[^@\s]+@[^@\s]+$/.test(e)),
  'must be comma-separated email addresses',
);

/**
 * The auth variables of DESIGN §9, as a zod shape for the CLI to merge into its service schema:
 * `serviceEnvSchema.extend(authEnvShape).superRefine(checkAuthEnv)`.
 *
 * - `AUTH_OIDC_JWKS_URL` Google ID-token keys. @default https://www.googleapis.com/oauth2/v3/certs
 * - `AUTH_OIDC_AUDIENCE` accepted `aud` values, comma-separated (usually the service URL). Required unless `PUSH_AUTH=none`.
 * - `AUTH_OIDC_ALLOWED_EMAILS` service accounts allowed to call, comma-separated. Required unless `PUSH_AUTH=none`.
 * - `PUSH_OIDC_ALLOWED_EMAILS` the push subscription's service accounts (coda-push `POST /pubsub/push` only), so the
 *   push identity cannot call operator endpoints and the scheduler cannot push. @default AUTH_OIDC_ALLOWED_EMAILS
 * - `AUTH_IAP_AUDIENCE` IAP backend-service audience; unset = IAP (staff) access disabled.
 * - `AUTH_IAP_JWKS_URL` @default https://www.gstatic.com/iap/verify/public_key-jwk
 * - `PUSH_AUTH` `oidc` | `none`. @default 'oidc' (secure by default; `none` is for the emulator and `npm start` only)
 * - `K_SERVICE` set by Cloud Run; read only to refuse `PUSH_AUTH=none` there.
 */
export const authEnvShape = {
  AUTH_OIDC_JWKS_URL: z.url({ protocol: /^https?$/ }).default(GOOGLE_JWKS_URL),
  AUTH_OIDC_AUDIENCE: commaList.optional(),
  AUTH_OIDC_ALLOWED_EMAILS: emailList.optional(),
  PUSH_OIDC_ALLOWED_EMAILS: emailList.optional(),
  AUTH_IAP_AUDIENCE: z.string().trim().min(1).optional(),
  AUTH_IAP_JWKS_URL: z.url({ protocol: /^https?$/ }).default(IAP_JWKS_URL),
  PUSH_AUTH: z.enum(pushAuthModes).default('oidc'),
  K_SERVICE: z.string().optional(),
};

const authEnvObject = z.object(authEnvShape);
export type AuthEnv = z.infer<typeof authEnvObject>;

/**
 * Cross-variable rules, for `.superRefine` on whatever schema merged `authEnvShape`: `PUSH_AUTH=none` is refused on
 * Cloud Run (`K_SERVICE` set), and OIDC audience and allowed emails are required unless `PUSH_AUTH=none`.
 * Messages name the variable and the fix, never a value.
 */
export function checkAuthEnv(env: AuthEnv, ctx: z.RefinementCtx): void {
  if (env.PUSH_AUTH === 'none' && env.K_SERVICE) {
    ctx.addIssue({
      code: 'custom',
      path: ['PUSH_AUTH'],
      message: "'none' is refused on Cloud Run (K_SERVICE is set); use 'oidc' with AUTH_OIDC_AUDIENCE and AUTH_OIDC_ALLOWED_EMAILS",
    });
  }
  if (env.PUSH_AUTH === 'oidc') {
    if (!env.AUTH_OIDC_AUDIENCE) {
      ctx.addIssue({ code: 'custom', path: ['AUTH_OIDC_AUDIENCE'], message: "is required when PUSH_AUTH is 'oidc' (the service URL)" });
    }
    if (!env.AUTH_OIDC_ALLOWED_EMAILS) {
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_OIDC_ALLOWED_EMAILS'],
        message: "is required when PUSH_AUTH is 'oidc' (the caller service accounts, comma-separated)",
      });
    }
  }
}

/** `authEnvShape` with its rules, for parsing the auth variables on their own. */
export const authEnvSchema = authEnvObject.superRefine(checkAuthEnv);

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
    env.AUTH_OIDC_AUDIENCE && allowedEmails ? { jwksUrl: env.AUTH_OIDC_JWKS_URL, audience: env.AUTH_OIDC_AUDIENCE, allowedEmails } : undefined;
  return {
    oidc: oidcFor(env.AUTH_OIDC_ALLOWED_EMAILS),
    pushOidc: oidcFor(env.PUSH_OIDC_ALLOWED_EMAILS ?? env.AUTH_OIDC_ALLOWED_EMAILS),
    iap: env.AUTH_IAP_AUDIENCE ? { jwksUrl: env.AUTH_IAP_JWKS_URL, audience: env.AUTH_IAP_AUDIENCE } : undefined,
    pushAuth: env.PUSH_AUTH,
    kService: env.K_SERVICE || undefined,
  };
}
