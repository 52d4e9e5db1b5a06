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

/** IAP's signing keys as a JWKS. */
export { IAP_JWKS_URL } from '../../contract/env.js';
import { IAP_JWKS_URL } from '../../contract/env.js';
/** IAP's `iss`. */
export const IAP_ISSUER = 'https://cloud.google.com/iap';
/** The header IAP adds to every request it lets through. */
export const IAP_HEADER = 'x-goog-iap-jwt-assertion';

export interface IapVerifierOptions extends JwksOptions {
  /** IAP's key set. @default 'https://www.gstatic.com/iap/verify/public_key-jwk' */
  readonly jwksUrl?: string;
  /**
   * Expected `aud`: `/projects/PROJECT_NUMBER/global/backendServices/SERVICE_ID` (load balancer) or
   * `/projects/PROJECT_NUMBER/apps/PROJECT_ID` (App Engine). Required.
   */
  readonly audience: string | readonly string[];
}

/** The signed-in user IAP vouches for. */
export interface IapIdentity {
  /** Lower-cased `email` of the user (a workforce identity). */
  readonly email: string;
  /** `sub`, e.g. `accounts.google.com:1234…`. */
  readonly subject: string;
}

export interface IapVerifier {
  /**
   * @throws {MissingCredentialsError} empty assertion
   * @throws {InvalidTokenError} malformed, bad signature, unknown key, expired, wrong issuer (→ 401)
   * @throws {ForbiddenIdentityError} wrong audience (→ 403)
   * @throws {VerifierUnavailableError} the JWKS could not be fetched (→ 503)
   */
  verify(jwt: string): Promise<IapIdentity>;
}

/**
 * Verifies the `x-goog-iap-jwt-assertion` header (ES256, `iss` https://cloud.google.com/iap, `aud` the backend
 * service). Checking it is what makes IAP safe when the service could also be reached around the load balancer.
 * Roles are not checked here; see `hasStaffRole`.
 * @see https://cloud.google.com/iap/docs/signed-headers-howto
 */
export function createIapVerifier(options: IapVerifierOptions): IapVerifier {
  const jwks = remoteJwks(parseJwksUrl('jwksUrl', options.jwksUrl ?? IAP_JWKS_URL), options.fetch);
  const audiences = nonEmptyStrings('audience', options.audience);
  const tolerance = clockTolerance(options.clockToleranceSeconds);
  const clock = options.clock ?? Date.now;

  return {
    async verify(jwt) {
      if (!jwt) throw new MissingCredentialsError();
      if (!looksLikeCompactJws(jwt)) throw new InvalidTokenError('malformed');
      let payload;
      try {
        ({ payload } = await jwtVerify(jwt, jwks, {
          algorithms: ['ES256'],
          issuer: IAP_ISSUER,
          requiredClaims: ['iss', 'aud', 'sub', 'iat', 'exp'],
          clockTolerance: tolerance,
          currentDate: new Date(clock()),
        }));
      } catch (error) {
        throw classifyJoseError(error);
      }
      if (typeof payload.sub !== 'string' || payload.sub === '') throw new InvalidTokenError('invalid_claims');
      const email = payload['email'];
      if (typeof email !== 'string' || !email.includes('@')) throw new InvalidTokenError('invalid_claims');
      if (!audienceMatches(payload.aud, audiences)) {
        throw new ForbiddenIdentityError('wrong_audience', { identityHash: hashIdentity(email) });
      }
      return { email: email.toLowerCase(), subject: payload.sub };
    },
  };
}
