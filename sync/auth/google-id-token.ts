import { jwtVerify } from 'jose';
import { hashIdentity } from './identity-hash.js';
import { ForbiddenIdentityError, InvalidTokenError, MissingCredentialsError } from './errors.js';
import {
  audienceMatches,
  classifyJoseError,
  clockTolerance,
  looksLikeCompactJws,
  nonEmptyStrings,
  parseJwksUrl,
  remoteJwks,
} from './jwt.js';
import type { JwksOptions } from './jwt.js';

/** Google's ID-token signing keys. */
export { GOOGLE_JWKS_URL } from '../../contract/env.js';
import { GOOGLE_JWKS_URL } from '../../contract/env.js';
/** Both spellings Google puts in `iss` (https://developers.google.com/identity/openid-connect/openid-connect#validatinganidtoken). */
export const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'] as const;

export interface GoogleIdTokenVerifierOptions extends JwksOptions {
  /** JWKS of the issuer. @default 'https://www.googleapis.com/oauth2/v3/certs' */
  readonly jwksUrl?: string;
  /**
   * Accepted `aud` values: the receiving service's URL (Cloud Scheduler's and Pub/Sub push's default audience), or
   * a custom audience configured on the job/subscription. Required; at least one.
   */
  readonly audience: string | readonly string[];
  /** Service-account emails allowed to call (compared case-insensitively). Required; at least one. */
  readonly allowedEmails: readonly string[];
  /** Accepted `iss` values. @default ['https://accounts.google.com', 'accounts.google.com'] */
  readonly issuers?: readonly string[];
}

/** The identity a verified Google ID token proves. */
export interface GoogleIdentity {
  /** Lower-cased `email` (a service account for Scheduler and Pub/Sub push). */
  readonly email: string;
  /** `sub`: the account's stable unique id. */
  readonly subject: string;
}

export interface GoogleIdTokenVerifier {
  /**
   * @throws {MissingCredentialsError} empty token
   * @throws {InvalidTokenError} malformed, bad signature, unknown key, expired, wrong issuer (→ 401)
   * @throws {ForbiddenIdentityError} wrong audience, email unverified or not allowed (→ 403)
   * @throws {VerifierUnavailableError} the JWKS could not be fetched (→ 503)
   */
  verify(token: string): Promise<GoogleIdentity>;
}

/**
 * Verifies Google-signed OIDC ID tokens (RS256) as sent by Cloud Scheduler and Pub/Sub push: signature against the
 * JWKS, `iss`, `exp`/`iat`, then `aud`, `email_verified` and `email`. Identity checks run only after the signature,
 * so a forged token is always 401 and never reveals which audiences or emails would be accepted.
 *
 * Config is checked once; a bad value throws a plain Error naming the option.
 * @see https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions
 * @example
 * const oidc = createGoogleIdTokenVerifier({ audience: 'https://drchrono-sync-xyz.a.run.app', allowedEmails: ['scheduler@p.iam.gserviceaccount.com'] });
 * const { email } = await oidc.verify(bearerToken);
 */
export function createGoogleIdTokenVerifier(options: GoogleIdTokenVerifierOptions): GoogleIdTokenVerifier {
  const jwks = remoteJwks(parseJwksUrl('jwksUrl', options.jwksUrl ?? GOOGLE_JWKS_URL), options.fetch);
  const audiences = nonEmptyStrings('audience', options.audience);
  const allowed = new Set(nonEmptyStrings('allowedEmails', options.allowedEmails).map((e) => e.toLowerCase()));
  for (const email of allowed) {
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new Error(`allowedEmails: "${email}" is not an email address`);
  }
  const issuers = nonEmptyStrings('issuers', options.issuers ?? GOOGLE_ISSUERS);
  const tolerance = clockTolerance(options.clockToleranceSeconds);
  const clock = options.clock ?? Date.now;

  return {
    async verify(token) {
      if (!token) throw new MissingCredentialsError();
      if (!looksLikeCompactJws(token)) throw new InvalidTokenError('malformed');
      let payload;
      try {
        ({ payload } = await jwtVerify(token, jwks, {
          algorithms: ['RS256'],
          issuer: issuers,
          requiredClaims: ['iss', 'aud', 'sub', 'iat', 'exp'],
          clockTolerance: tolerance,
          currentDate: new Date(clock()),
        }));
      } catch (error) {
        throw classifyJoseError(error);
      }
      // From here on the token is Google's own; what remains is whether this identity may call us.
      if (typeof payload.sub !== 'string' || payload.sub === '') throw new InvalidTokenError('invalid_claims');
      const claimed = typeof payload['email'] === 'string' ? payload['email'].toLowerCase() : undefined;
      const identityHash = hashIdentity(claimed ?? payload.sub);
      if (!audienceMatches(payload.aud, audiences))
        throw new ForbiddenIdentityError('wrong_audience', { identityHash });
      if (claimed === undefined) throw new ForbiddenIdentityError('email_not_allowed', { identityHash });
      if (payload['email_verified'] !== true && payload['email_verified'] !== 'true') {
        throw new ForbiddenIdentityError('email_not_verified', { identityHash });
      }
      if (!allowed.has(claimed)) throw new ForbiddenIdentityError('email_not_allowed', { identityHash });
      const email = claimed;
      return { email, subject: payload.sub };
    },
  };
}
