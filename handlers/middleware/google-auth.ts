import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { HTTPException } from 'hono/http-exception';
import type { Sql } from 'postgres';
import {
  AuthError,
  ForbiddenIdentityError,
  IAP_HEADER,
  InvalidTokenError,
  MissingCredentialsError,
  hashIdentity,
  staffRolesFor,
} from '../../sync/auth/index.js';
import type { GoogleIdTokenVerifier, IapVerifier, PushAuthMode, StaffRole } from '../../sync/auth/index.js';
import type { Logger } from '../../sync/observability/logger.js';
import { httpError } from './http-error.js';

/**
 * Who a request authenticated as. Handlers record it as the actor: `inChangeTransaction(sql, { actor: actorFor(p) }, …)`.
 * `service`: a Google service account (Cloud Scheduler, Pub/Sub push) proven by an OIDC ID token.
 * `staff`: a workforce user proven by IAP, with the active roles that let them in.
 */
export type Principal =
  | { readonly kind: 'service'; readonly email: string; readonly subject: string }
  | { readonly kind: 'staff'; readonly email: string; readonly subject: string; readonly roles: readonly StaffRole[] };

/** The `change_log.actor` for a principal: `service:<email>` or `staff:<email>` (workforce identity, for the audit trail). */
export function actorFor(principal: Principal): string {
  return `${principal.kind}:${principal.email}`;
}

export type GoogleAuthVariables = { principal: Principal };
/** `principal` is undefined when push auth is off (`PUSH_AUTH=none`, local only). */
export type PushAuthVariables = { principal: Principal | undefined };

// Logging policy: refusals are logged with the reason class, the scheme tried and, for genuine-but-refused
// identities, a sha256-prefix pseudonym (`callerHash`), never the token or the email. Accepted service accounts are
// logged by email at debug level (configuration, not PHI); accepted staff only by pseudonym (workforce identities).

const BEARER = /^Bearer +([^\s]+) *$/i;

type Scheme = 'none' | 'bearer' | 'iap';

/** `undefined` = no bearer credentials; `''` = a Bearer header without a usable token (→ malformed). */
function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || !/^bearer(\s|$)/i.test(header)) return undefined;
  return BEARER.exec(header)?.[1] ?? '';
}

/** 503 outranks 403 outranks 401: the most specific reason wins when both schemes were tried. */
function worse(a: AuthError | undefined, b: AuthError): AuthError {
  return a && a.status >= b.status ? a : b;
}

/** 503 (verifier unreachable, callers retry), 401 (with the `WWW-Authenticate` challenge) or 403. */
function refusal(error: AuthError, presented: boolean): HTTPException {
  const options = { cause: error };
  if (error.status === 503)
    return httpError(503, 'service unavailable', undefined, { ...options, headers: { 'Retry-After': '10' } });
  if (error.status === 401) {
    const challenge = presented ? `Bearer error="invalid_token", error_description="${error.reason}"` : 'Bearer';
    return httpError(401, 'unauthorized', undefined, { ...options, headers: { 'WWW-Authenticate': challenge } });
  }
  return httpError(403, 'forbidden', undefined, {
    ...options,
    headers: { 'WWW-Authenticate': `Bearer error="insufficient_scope", error_description="${error.reason}"` },
  });
}

function refuse(c: Context, logger: Logger, error: AuthError, scheme: Scheme): never {
  const fields = {
    auth: {
      outcome: 'refused',
      status: error.status,
      reason: error.reason,
      scheme,
      ...(error.identityHash && { callerHash: error.identityHash }),
    },
    route: c.req.routePath,
    requestId: c.get('requestId' as never) as string | undefined,
    ...(error.status === 503 && { err: error.cause }),
  };
  if (error.status === 503) logger.error(fields, 'auth verifier unavailable');
  else logger.warn(fields, 'auth refused');
  throw refusal(error, scheme !== 'none');
}

function asAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  throw error;
}

/** Runs one proof; refusals come back as values, anything else (e.g. the database is down) propagates → 500. */
function attempt(prove: () => Promise<Principal>): Promise<Principal | AuthError> {
  return prove().catch(asAuthError);
}

export interface RequireSchedulerOrStaffOptions {
  /** Verifies `Authorization: Bearer <Google ID token>` (Cloud Scheduler and other allowed service accounts). */
  readonly oidc: GoogleIdTokenVerifier;
  /** Verifies `x-goog-iap-jwt-assertion`. Unset = staff access through IAP is disabled; the header is ignored. */
  readonly iap?: IapVerifier;
  /** Reads `staff_roles` for IAP callers. */
  readonly sql: Sql;
  /** Roles that may call; any one active grant suffices. Required (non-empty) when `iap` is set. */
  readonly staffRoles: readonly StaffRole[];
  readonly logger: Logger;
}

/**
 * Guards scheduler/operator endpoints (`POST /sync/*`, `/outbox/drain`, `/maintenance/*`): a Google ID token from an
 * allowed service account, or an IAP assertion whose user holds an active role in `staffRoles`.
 *
 * - no credentials → 401 `{error:'unauthorized'}` with `WWW-Authenticate: Bearer`
 * - a token that is malformed, forged, expired or from another issuer → 401 (`error="invalid_token"`)
 * - a genuine token for the wrong audience or email, or a staff user without an active role → 403 `{error:'forbidden'}`
 * - signing keys unreachable → 503 (callers retry)
 *
 * When both headers are present, either proof suffices; if both fail, the more specific refusal is answered.
 * Sets `c.get('principal')`.
 * @throws {Error} at setup when `iap` is set without any `staffRoles`, or `oidc` is missing
 * @example
 * app.use('/sync/*', requireSchedulerOrStaff({ oidc, iap, sql, staffRoles: ['admin'], logger }));
 */
export function requireSchedulerOrStaff(options: RequireSchedulerOrStaffOptions) {
  const { oidc, iap, sql, logger } = options;
  if (!oidc) throw new Error('requireSchedulerOrStaff: `oidc` verifier is required');
  const allowedRoles = new Set(options.staffRoles);
  if (iap && allowedRoles.size === 0) {
    throw new Error('requireSchedulerOrStaff: `staffRoles` must name at least one role when `iap` is set');
  }

  const viaBearer = async (token: string): Promise<Principal> => {
    if (token === '') throw new InvalidTokenError('malformed');
    const identity = await oidc.verify(token);
    logger.debug({ auth: { outcome: 'accepted', scheme: 'bearer', serviceAccount: identity.email } }, 'auth accepted');
    return { kind: 'service', email: identity.email, subject: identity.subject };
  };
  const viaIap = async (verifier: IapVerifier, assertion: string): Promise<Principal> => {
    const identity = await verifier.verify(assertion);
    const callerHash = hashIdentity(identity.email);
    const roles = (await staffRolesFor(sql, identity.email)).filter((r) => allowedRoles.has(r));
    if (roles.length === 0) throw new ForbiddenIdentityError('no_staff_role', { identityHash: callerHash });
    logger.debug({ auth: { outcome: 'accepted', scheme: 'iap', callerHash, roles } }, 'auth accepted');
    return { kind: 'staff', email: identity.email, subject: identity.subject, roles };
  };

  return createMiddleware<{ Variables: GoogleAuthVariables }>(async function requireSchedulerOrStaff(c, next) {
    const bearer = bearerToken(c.req.header('authorization'));
    const assertion = iap ? c.req.header(IAP_HEADER) : undefined;
    if (bearer === undefined && assertion === undefined) refuse(c, logger, new MissingCredentialsError(), 'none');

    // Either proof suffices; when every one presented fails, the most specific refusal is answered.
    let principal: Principal | undefined;
    let failure: AuthError | undefined;
    let scheme: Scheme = 'none';
    if (bearer !== undefined) {
      const result = await attempt(() => viaBearer(bearer));
      if (result instanceof AuthError) [failure, scheme] = [result, 'bearer'];
      else principal = result;
    }
    if (!principal && iap && assertion !== undefined) {
      const result = await attempt(() => viaIap(iap, assertion));
      if (!(result instanceof AuthError)) principal = result;
      else if (worse(failure, result) === result) [failure, scheme] = [result, 'iap'];
    }
    if (!principal) refuse(c, logger, failure ?? new MissingCredentialsError(), scheme);
    c.set('principal', principal);
    await next();
  });
}

/**
 * A route's own staff roles, after {@link requireSchedulerOrStaff} let the caller in with any operator role: a staff
 * caller holding none of `roles` is refused 403 (`no_staff_role`). Service accounts (the scheduler) pass: their
 * allow-list is the guard's. Lets one guard serve routes for different roles, e.g. `billing` staff may run the
 * billing sync and nothing else.
 * @example app.post('/sync/billing', guard, requireStaffRole(logger, 'admin', 'billing'), handler)
 */
export function requireStaffRole(logger: Logger, ...roles: readonly StaffRole[]) {
  const allowed = new Set(roles);
  return createMiddleware<{ Variables: GoogleAuthVariables }>(async function requireStaffRole(c, next) {
    const principal = c.get('principal') as Principal | undefined;
    if (principal?.kind === 'staff' && !principal.roles.some((r) => allowed.has(r)))
      refuse(
        c,
        logger,
        new ForbiddenIdentityError('no_staff_role', { identityHash: hashIdentity(principal.email) }),
        'iap',
      );
    await next();
  });
}

export type RequirePushAuthOptions = {
  readonly logger: Logger;
  /** Cloud Run's `K_SERVICE`; when set, `mode: 'none'` is refused at setup. */
  readonly kService?: string | undefined;
} & (
  | {
      /** Verify Pub/Sub's OIDC token (audience = push endpoint or configured audience, email = push service account). */
      readonly mode: 'oidc';
      readonly oidc: GoogleIdTokenVerifier;
    }
  | {
      /** No check: only for the Pub/Sub emulator and `npm start`, which send no token. */
      readonly mode: 'none';
      readonly oidc?: undefined;
    }
);

/**
 * Guards coda-push's `POST /pubsub/push` (DESIGN §7.4). `oidc`: the same Google ID-token checks and answers as
 * `requireSchedulerOrStaff` (a non-2xx makes Pub/Sub redeliver). `none`: lets every request through and logs a
 * warning once at setup.
 * @throws {Error} at setup for `mode: 'none'` when `kService` is set (running on Cloud Run), for `mode: 'oidc'`
 * without a verifier, or for an unknown mode
 */
export function requirePushAuth(options: RequirePushAuthOptions) {
  const { logger } = options;
  const mode: PushAuthMode = options.mode;
  if (mode !== 'oidc' && mode !== 'none')
    throw new Error(`requirePushAuth: mode must be 'oidc' or 'none', got "${String(mode)}"`);
  if (mode === 'none' && options.kService) {
    throw new Error("requirePushAuth: mode 'none' is refused on Cloud Run (K_SERVICE is set); use 'oidc'");
  }
  const oidc = options.oidc;
  if (mode === 'oidc' && !oidc) throw new Error("requirePushAuth: mode 'oidc' needs an `oidc` verifier");
  if (mode === 'none') logger.warn({ auth: { pushAuth: 'none' } }, 'push authentication is OFF (local/emulator only)');

  return createMiddleware<{ Variables: PushAuthVariables }>(async function requirePushAuth(c, next) {
    if (!oidc) {
      await next();
      return;
    }
    const bearer = bearerToken(c.req.header('authorization'));
    if (bearer === undefined) refuse(c, logger, new MissingCredentialsError(), 'none');
    let principal: Principal;
    try {
      if (bearer === '') throw new InvalidTokenError('malformed');
      const identity = await oidc.verify(bearer);
      principal = { kind: 'service', email: identity.email, subject: identity.subject };
    } catch (error) {
      refuse(c, logger, asAuthError(error), 'bearer');
    }
    c.set('principal', principal);
    await next();
  });
}
