import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { SignJWT } from 'jose';
import { createSigningKey } from './keys.js';
import type { SigningKey } from './keys.js';

/** Google's ID-token issuer; tokens carry it in `iss`. */
export const GOOGLE_ISSUER = 'https://accounts.google.com';
/** IAP's JWT issuer. */
export const IAP_ISSUER = 'https://cloud.google.com/iap';
/** Paths mirroring https://www.googleapis.com/oauth2/v3/certs and https://www.gstatic.com/iap/verify/public_key-jwk. */
export const JWKS_PATH = '/oauth2/v3/certs';
export const IAP_JWKS_PATH = '/iap/verify/public_key-jwk';
export const DISCOVERY_PATH = '/.well-known/openid-configuration';

export interface GoogleOidcSandboxOptions {
  /** Clock for `iat`/`exp`, in ms since the epoch. @default Date.now */
  readonly clock?: () => number;
}

export interface MintIdTokenOptions {
  /** `aud`: the receiving service's URL (Cloud Scheduler, Pub/Sub push audience). */
  readonly audience: string;
  /** `email`: the calling service account. */
  readonly email: string;
  /** @default true */
  readonly emailVerified?: boolean;
  /** Lifetime from `iat`; negative values mint an already expired token. @default 3600 */
  readonly expiresInSeconds?: number;
  /** @default 'https://accounts.google.com' */
  readonly issuer?: string;
  /** `sub` (and `azp`). @default a stable 21-digit number derived from the email, like a service account's unique id */
  readonly subject?: string;
  /** Signs with a key the JWKS does not hold (same `kid`), so verification must fail. @default false */
  readonly signWithUnknownKey?: boolean;
}

export interface MintIapJwtOptions {
  /** `aud`: `/projects/NUMBER/global/backendServices/ID` or `/projects/NUMBER/apps/PROJECT_ID`. */
  readonly audience: string;
  /** `email` of the signed-in user. */
  readonly email: string;
  /** Lifetime from `iat`; negative values mint an already expired token. @default 600 (IAP's 10 minutes) */
  readonly expiresInSeconds?: number;
  /** `sub`. @default `accounts.google.com:` + a stable number derived from the email */
  readonly subject?: string;
  /** `hd` (Workspace domain). @default the email's domain */
  readonly hostedDomain?: string;
  /** @default 'https://cloud.google.com/iap' */
  readonly issuer?: string;
  /** Signs with a key the IAP JWKS does not hold (same `kid`). @default false */
  readonly signWithUnknownKey?: boolean;
}

/** A stable 21-digit id for an email, shaped like a Google account's or service account's unique id. */
function numericIdFor(email: string): string {
  const digest = createHash('sha256').update(email).digest();
  let id = '1';
  for (let i = 0; id.length < 21; i += 1) id += String((digest[i % digest.length] ?? 0) % 10);
  return id;
}

function lifetime(name: string, value: number): number {
  if (!Number.isInteger(value)) throw new Error(`${name}: expiresInSeconds must be an integer, got ${value}`);
  return value;
}

/**
 * A local stand-in for Google's OIDC issuer: serves an RS256 JWKS at `/oauth2/v3/certs`, the
 * discovery document, and an ES256 IAP JWKS at `/iap/verify/public_key-jwk`; `control` mints
 * Google-shaped ID tokens and IAP JWTs signed by those keys (or by keys the JWKS lacks).
 * @example
 * const { app, control } = await createGoogleOidcSandbox();
 * const token = await control.mintIdToken({ audience: 'https://coda-push.local', email: 'push@p.iam.gserviceaccount.com' });
 */
export async function createGoogleOidcSandbox(options: GoogleOidcSandboxOptions = {}) {
  const clock = options.clock ?? Date.now;
  const [idKey, unknownIdKey, iapKey, unknownIapKey] = await Promise.all([
    createSigningKey('RS256'),
    createSigningKey('RS256'),
    createSigningKey('ES256'),
    createSigningKey('ES256'),
  ]);
  // The unknown keys reuse the served kid, so a verifier finds a key and the signature check fails.
  const impostor = (key: SigningKey, as: SigningKey): SigningKey => ({ ...key, kid: as.kid });
  const badIdKey = impostor(unknownIdKey, idKey);
  const badIapKey = impostor(unknownIapKey, iapKey);

  const sign = (claims: Record<string, unknown>, key: SigningKey, expiresInSeconds: number) => {
    const iat = Math.floor(clock() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .setIssuedAt(iat)
      .setExpirationTime(iat + expiresInSeconds)
      .sign(key.privateKey);
  };

  const app = new Hono();
  const cacheHeaders = { 'cache-control': 'public, max-age=300, must-revalidate, no-transform' };

  app.get(JWKS_PATH, (c) => c.json({ keys: [idKey.publicJwk] }, 200, cacheHeaders));
  app.get(IAP_JWKS_PATH, (c) => c.json({ keys: [iapKey.publicJwk] }, 200, cacheHeaders));
  app.get(DISCOVERY_PATH, (c) => {
    const origin = new URL(c.req.url).origin;
    return c.json({
      issuer: GOOGLE_ISSUER,
      jwks_uri: `${origin}${JWKS_PATH}`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      claims_supported: ['aud', 'email', 'email_verified', 'exp', 'iat', 'iss', 'sub', 'azp'],
    });
  });
  app.notFound((c) => c.json({ error: 'not_found' }, 404));

  const control = {
    /** Mints a Google-shaped ID token (RS256): iss, aud, azp, sub, email, email_verified, iat, exp. */
    mintIdToken(opts: MintIdTokenOptions): Promise<string> {
      const subject = opts.subject ?? numericIdFor(opts.email);
      return sign(
        {
          iss: opts.issuer ?? GOOGLE_ISSUER,
          aud: opts.audience,
          azp: subject,
          sub: subject,
          email: opts.email,
          email_verified: opts.emailVerified ?? true,
        },
        opts.signWithUnknownKey ? badIdKey : idKey,
        lifetime('mintIdToken', opts.expiresInSeconds ?? 3600),
      );
    },
    /** Mints an IAP-shaped JWT (ES256): iss, aud, sub, email, hd, iat, exp. */
    mintIapJwt(opts: MintIapJwtOptions): Promise<string> {
      const hd = opts.hostedDomain ?? opts.email.split('@')[1];
      return sign(
        {
          iss: opts.issuer ?? IAP_ISSUER,
          aud: opts.audience,
          sub: opts.subject ?? `accounts.google.com:${numericIdFor(opts.email)}`,
          email: opts.email,
          ...(hd && { hd }),
        },
        opts.signWithUnknownKey ? badIapKey : iapKey,
        lifetime('mintIapJwt', opts.expiresInSeconds ?? 600),
      );
    },
    /** The `kid` of the served ID-token key. */
    idTokenKid: idKey.kid,
    /** The `kid` of the served IAP key. */
    iapKid: iapKey.kid,
  };

  return { app, control };
}

export type GoogleOidcSandbox = Awaited<ReturnType<typeof createGoogleOidcSandbox>>;
export type GoogleOidcSandboxControl = GoogleOidcSandbox['control'];
