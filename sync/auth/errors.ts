/**
 * Why a caller was refused, as a short class that is safe to log and to put in metrics labels: it never carries token
 * contents or an identity.
 */
export type AuthFailureReason =
  // 401: no usable proof of identity
  | 'missing_credentials'
  | 'malformed'
  | 'bad_signature'
  | 'unknown_key'
  | 'alg_not_allowed'
  | 'expired'
  | 'wrong_issuer'
  | 'invalid_claims'
  // 403: a genuine Google identity, but not one allowed here
  | 'wrong_audience'
  | 'email_not_verified'
  | 'email_not_allowed'
  | 'no_staff_role'
  // 503: we could not check (JWKS unreachable or unusable)
  | 'verifier_unavailable';

/** Base of every refusal; `reason` is the loggable class, `status` the HTTP status a handler should answer with. */
export abstract class AuthError extends Error {
  abstract readonly status: 401 | 403 | 503;
  /**
   * sha256-prefix pseudonym of the refused identity when the token was genuine (403s), so logs can correlate a
   * misconfigured caller without writing its email. See `hashIdentity`.
   */
  readonly identityHash: string | undefined;
  constructor(
    readonly reason: AuthFailureReason,
    options?: { cause?: unknown; identityHash?: string },
  ) {
    super(reason, options?.cause === undefined ? undefined : { cause: options.cause });
    this.identityHash = options?.identityHash;
  }
}

/** No bearer token or IAP assertion at all (401). */
export class MissingCredentialsError extends AuthError {
  override name = 'MissingCredentialsError';
  readonly status = 401;
  constructor() {
    super('missing_credentials');
  }
}

/** A token was presented but proves nothing: malformed, bad signature, unknown key, expired, wrong issuer (401). */
export class InvalidTokenError extends AuthError {
  override name = 'InvalidTokenError';
  readonly status = 401;
}

/**
 * The token is genuinely signed by Google (signature, issuer and expiry checked) but names an identity that may not
 * call here: wrong audience, unverified or not-allowed email, no active staff role (403).
 */
export class ForbiddenIdentityError extends AuthError {
  override name = 'ForbiddenIdentityError';
  readonly status = 403;
}

/**
 * The signing keys could not be fetched or parsed (network, timeout, non-200, bad JWKS). Not the caller's fault, so
 * it is answered 503 (Pub/Sub and Cloud Scheduler retry) rather than 401.
 */
export class VerifierUnavailableError extends AuthError {
  override name = 'VerifierUnavailableError';
  readonly status = 503;
  constructor(options?: { cause?: unknown }) {
    super('verifier_unavailable', options);
  }
}
