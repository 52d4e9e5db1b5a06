import { createRemoteJWKSet, customFetch, errors } from 'jose';
import type { FetchImplementation, JWTVerifyGetKey } from 'jose';
import { InvalidTokenError, VerifierUnavailableError } from './errors.js';
import type { AuthError } from './errors.js';

// Shared by the Google ID-token and IAP verifiers: JWKS set-up, config checks and the jose error → refusal mapping.

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Options both verifiers take for fetching keys and reading the clock. */
export interface JwksOptions {
  /** `fetch` used for the JWKS (tests may route it in-process). @default globalThis.fetch */
  readonly fetch?: FetchImplementation;
  /** Clock, ms since the epoch, used for `exp`/`iat`/`nbf`. @default Date.now */
  readonly clock?: () => number;
  /** Allowed clock skew between Google and us, in seconds. @default 60 */
  readonly clockToleranceSeconds?: number;
}

/**
 * Parses a JWKS URL at setup. https is required; plain http only on loopback (the local sandbox issuer), so a
 * deployed service can never fetch signing keys over an unauthenticated channel.
 */
export function parseJwksUrl(option: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${option}: must be an absolute URL, got "${value}"`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return url;
  throw new Error(`${option}: must be an https URL (http only on loopback), got "${value}"`);
}

export function nonEmptyStrings(option: string, values: string | readonly string[]): string[] {
  const list = typeof values === 'string' ? [values] : [...values];
  if (list.length === 0) throw new Error(`${option}: needs at least one value`);
  for (const v of list) {
    if (typeof v !== 'string' || v.trim() === '') throw new Error(`${option}: values must be non-empty strings`);
  }
  return list.map((v) => v.trim());
}

export function clockTolerance(value: number | undefined): number {
  const seconds = value ?? 60;
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 300) {
    throw new Error(`clockToleranceSeconds: must be an integer from 0 to 300, got ${seconds}`);
  }
  return seconds;
}

export function remoteJwks(url: URL, fetchImpl: FetchImplementation | undefined): JWTVerifyGetKey {
  // jose caches the set for 10 min and refetches on an unknown kid (at most every 30 s), which follows Google's
  // key rotation without a restart.
  return createRemoteJWKSet(url, fetchImpl ? { [customFetch]: fetchImpl } : {});
}

/**
 * Maps a jose failure to a refusal. Token faults are 401; anything about fetching or parsing the keys (non-200,
 * timeout, network, bad JWKS) is 503, because the caller's token may well be fine.
 */
export function classifyJoseError(error: unknown): AuthError {
  if (error instanceof errors.JWTExpired) return new InvalidTokenError('expired', { cause: error });
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new InvalidTokenError(error.claim === 'iss' ? 'wrong_issuer' : 'invalid_claims', { cause: error });
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new InvalidTokenError('bad_signature', { cause: error });
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new InvalidTokenError('unknown_key', { cause: error });
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new InvalidTokenError('alg_not_allowed', { cause: error });
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return new InvalidTokenError('malformed', { cause: error });
  }
  return new VerifierUnavailableError({ cause: error });
}

/** `aud` may be a string or an array; true when any value is one we accept. */
export function audienceMatches(aud: unknown, accepted: readonly string[]): boolean {
  const values = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  return values.some((v) => typeof v === 'string' && accepted.includes(v));
}

/** Cheap shape check before any key lookup: three base64url segments. Oversized input is refused outright. */
export function looksLikeCompactJws(token: string): boolean {
  return token.length <= 8192 && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}
