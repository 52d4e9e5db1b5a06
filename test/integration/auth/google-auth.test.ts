import { Hono } from 'hono';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  actorFor,
  requirePushAuth,
  requireSchedulerOrStaff,
  type GoogleAuthVariables,
  type PushAuthVariables,
  type RequirePushAuthOptions,
} from '../../../handlers/middleware/google-auth.js';
import { errorHandler } from '../../../handlers/middleware/errors.js';
import { requestId, type RequestIdVariables } from '../../../handlers/middleware/request-id.js';
import { startGoogleOidcSandbox, type RunningGoogleOidcSandbox } from '../../../sandbox/google-oidc/index.js';
import {
  authEnvSchema,
  authSettingsFromEnv,
  createGoogleIdTokenVerifier,
  createIapVerifier,
  hashIdentity,
  hasStaffRole,
  staffRolesFor,
  type GoogleIdTokenVerifier,
  type IapVerifier,
} from '../../../sync/auth/index.js';
import { inChangeTransaction } from '../../../sync/db/change-transaction.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { captureLogs } from '../../harness/logs.js';

const SERVICE_URL = 'https://drchrono-sync.example.run.app';
const PUSH_URL = 'https://coda-push.example.run.app/pubsub/push';
const IAP_AUDIENCE = '/projects/123456789/global/backendServices/42';
const SCHEDULER = 'scheduler@feel-august.iam.gserviceaccount.com';
const PUSHER = 'pubsub-push@feel-august.iam.gserviceaccount.com';
const ADMIN = 'ada.admin@feelaugust.example';
const REVOKED = 'rex.revoked@feelaugust.example';
const VIEWER = 'vic.viewer@feelaugust.example';
const NOBODY = 'nora.norole@feelaugust.example';

let t: TestDatabase;
let issuer: RunningGoogleOidcSandbox;
let oidc: GoogleIdTokenVerifier;
let iap: IapVerifier;

beforeAll(async () => {
  [t, issuer] = await Promise.all([createTestDatabase(), startGoogleOidcSandbox()]);
  // Real HTTP to the loopback issuer: the same code path as production's fetch of Google's key sets.
  oidc = createGoogleIdTokenVerifier({ jwksUrl: issuer.jwksUrl, audience: SERVICE_URL, allowedEmails: [SCHEDULER] });
  iap = createIapVerifier({ jwksUrl: issuer.iapJwksUrl, audience: IAP_AUDIENCE });
  await t.sql`
    INSERT INTO staff_roles (email, role, granted_by, revoked_at) VALUES
      (${ADMIN}, 'admin', 'bootstrap', NULL),
      (${ADMIN}, 'billing', 'bootstrap', NULL),
      (${REVOKED}, 'admin', 'bootstrap', now() - interval '1 day'),
      (${VIEWER}, 'viewer', 'bootstrap', NULL)`;
});
afterAll(async () => {
  await Promise.all([t?.drop(), issuer?.close()]);
});

describe('staff_roles lookups', () => {
  it('lists active grants only, matching the email case-insensitively', async () => {
    expect(await staffRolesFor(t.sql, ADMIN.toUpperCase())).toEqual(['admin', 'billing']);
    expect(await staffRolesFor(t.sql, REVOKED)).toEqual([]);
    expect(await staffRolesFor(t.sql, NOBODY)).toEqual([]);
  });

  it('hasStaffRole is true only for an active grant of an allowed role', async () => {
    expect(await hasStaffRole(t.sql, ADMIN, ['billing'])).toBe(true);
    expect(await hasStaffRole(t.sql, VIEWER, ['admin', 'clinician'])).toBe(false);
    expect(await hasStaffRole(t.sql, REVOKED, ['admin'])).toBe(false);
    expect(await hasStaffRole(t.sql, ADMIN, [])).toBe(false);
  });
});

type Env = { Variables: GoogleAuthVariables & RequestIdVariables };

describe('requireSchedulerOrStaff', () => {
  let logs: ReturnType<typeof captureLogs>;
  let ran: number;
  let app: Hono<Env>;

  const build = (withIap = true) => {
    const a = new Hono<Env>();
    a.use(requestId());
    a.onError(errorHandler(logs.logger));
    a.use(
      '/sync/*',
      requireSchedulerOrStaff({
        oidc,
        ...(withIap && { iap }),
        sql: t.sql,
        staffRoles: ['admin', 'clinician'],
        logger: logs.logger,
      }),
    );
    a.post('/sync/patients', (c) => {
      ran += 1;
      return c.json({ principal: c.get('principal') });
    });
    return a;
  };
  beforeEach(() => {
    logs = captureLogs('test');
    ran = 0;
    app = build();
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const iapHeader = (jwt: string) => ({ 'x-goog-iap-jwt-assertion': jwt });
  const post = (headers: Record<string, string> = {}) => app.request('/sync/patients', { method: 'POST', headers });
  const schedulerToken = (o: { audience?: string; email?: string; expiresInSeconds?: number } = {}) =>
    issuer.control.mintIdToken({ audience: SERVICE_URL, email: SCHEDULER, ...o });
  const staffJwt = (email: string, o: { audience?: string } = {}) =>
    issuer.control.mintIapJwt({ audience: IAP_AUDIENCE, email, ...o });

  it('lets the scheduler in with its ID token and sets a service principal', async () => {
    const res = await post(bearer(await schedulerToken()));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      principal: { kind: 'service', email: SCHEDULER, subject: expect.stringMatching(/^\d+$/) },
    });
    expect(ran).toBe(1);
  });

  it('lets a staff member with an active allowed role in through IAP and sets a staff principal with those roles', async () => {
    const res = await post(iapHeader(await staffJwt(ADMIN.toUpperCase())));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { principal: { kind: string; email: string; roles: string[] } };
    // billing is active too, but only roles this route allows are reported.
    expect(body.principal).toMatchObject({ kind: 'staff', email: ADMIN, roles: ['admin'] });
  });

  it('refuses a staff member whose only grant is revoked (403)', async () => {
    const res = await post(iapHeader(await staffJwt(REVOKED)));
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'forbidden' });
    expect(ran).toBe(0);
  });

  it('refuses a staff member with no role at all (403), and one whose role is not allowed here (403)', async () => {
    expect((await post(iapHeader(await staffJwt(NOBODY)))).status).toBe(403);
    expect((await post(iapHeader(await staffJwt(VIEWER)))).status).toBe(403);
    expect(ran).toBe(0);
  });

  it('answers 401 with WWW-Authenticate: Bearer and a JSON error when there are no credentials', async () => {
    const res = await post();
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ error: 'unauthorized' });
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(ran).toBe(0);
  });

  it('treats a non-Bearer Authorization header as no credentials (401)', async () => {
    const res = await post({ authorization: 'Basic dXNlcjpwYXNz' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it.each([
    ['expired', () => schedulerToken({ expiresInSeconds: -600 }), 'expired'],
    [
      'forged',
      () => issuer.control.mintIdToken({ audience: SERVICE_URL, email: SCHEDULER, signWithUnknownKey: true }),
      'bad_signature',
    ],
    ['malformed', async () => 'not.a.jwt', 'malformed'],
  ])('answers 401 invalid_token for a %s bearer token', async (_label, token, reason) => {
    const res = await post(bearer(await token()));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(`Bearer error="invalid_token", error_description="${reason}"`);
    expect(await res.json()).toEqual({ error: 'unauthorized' });
  });

  it('answers 401 for "Bearer" with no token', async () => {
    const res = await post({ authorization: 'Bearer ' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('malformed');
  });

  it('answers 403 for a genuine token with the wrong audience or a service account that is not allowed', async () => {
    for (const token of [
      await schedulerToken({ audience: 'https://other.example' }),
      await schedulerToken({ email: PUSHER }),
    ]) {
      const res = await post(bearer(token));
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ error: 'forbidden' });
    }
    expect(ran).toBe(0);
  });

  it('answers 403 for an IAP assertion minted for another backend service', async () => {
    expect(
      (await post(iapHeader(await staffJwt(ADMIN, { audience: '/projects/1/global/backendServices/2' })))).status,
    ).toBe(403);
  });

  it('accepts either proof: a refused bearer token does not block a valid staff assertion', async () => {
    const res = await post({ ...bearer(await schedulerToken({ email: PUSHER })), ...iapHeader(await staffJwt(ADMIN)) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ principal: { kind: 'staff', email: ADMIN } });
  });

  it('answers the more specific refusal when both proofs fail (401 bearer + 403 staff → 403)', async () => {
    const res = await post({ authorization: 'Bearer x.y.z', ...iapHeader(await staffJwt(NOBODY)) });
    expect(res.status).toBe(403);
  });

  it('ignores the IAP header when IAP is not configured (401)', async () => {
    app = build(false);
    expect((await post(iapHeader(await staffJwt(ADMIN)))).status).toBe(401);
  });

  it('answers 503 when the signing keys cannot be fetched, so the scheduler retries', async () => {
    const down = createGoogleIdTokenVerifier({
      jwksUrl: 'http://127.0.0.1:9/certs',
      audience: SERVICE_URL,
      allowedEmails: [SCHEDULER],
    });
    const a = new Hono<Env>();
    a.onError(errorHandler(logs.logger));
    a.use(requireSchedulerOrStaff({ oidc: down, sql: t.sql, staffRoles: ['admin'], logger: logs.logger }));
    a.post('/sync/patients', (c) => c.text('ran'));
    const res = await a.request('/sync/patients', { method: 'POST', headers: bearer(await schedulerToken()) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('10');
    expect(await res.json()).toEqual({ error: 'service unavailable' });
  });

  it('logs refusals with the reason class and a pseudonym only: no token, no email', async () => {
    const token = await schedulerToken({ email: PUSHER });
    const staff = await staffJwt(NOBODY);
    await post(bearer(token));
    await post(iapHeader(staff));
    await post();
    const refusals = logs.records().filter((l) => l['message'] === 'auth refused');
    expect(refusals.map((l) => l['auth'])).toEqual([
      {
        outcome: 'refused',
        status: 403,
        reason: 'email_not_allowed',
        scheme: 'bearer',
        callerHash: hashIdentity(PUSHER),
      },
      { outcome: 'refused', status: 403, reason: 'no_staff_role', scheme: 'iap', callerHash: hashIdentity(NOBODY) },
      { outcome: 'refused', status: 401, reason: 'missing_credentials', scheme: 'none' },
    ]);
    expect(refusals.every((l) => typeof l['requestId'] === 'string')).toBe(true);
    const text = logs.text();
    for (const secret of [token, staff, token.split('.')[1]!, PUSHER, NOBODY, 'nora.norole'])
      expect(text).not.toContain(secret);
  });

  it('does not log an accepted staff member by email either', async () => {
    await post(iapHeader(await staffJwt(ADMIN)));
    expect(logs.text()).toContain(hashIdentity(ADMIN));
    expect(logs.text()).not.toContain(ADMIN);
  });

  it('gives handlers what they need to record the actor in change_log', async () => {
    const a = new Hono<Env>();
    a.use(requireSchedulerOrStaff({ oidc, iap, sql: t.sql, staffRoles: ['admin'], logger: logs.logger }));
    a.post('/grant', async (c) => {
      await inChangeTransaction(t.sql, { actor: actorFor(c.get('principal')) }, async (tx) => {
        await tx`INSERT INTO staff_roles (email, role, granted_by) VALUES ('new.clinician@feelaugust.example', 'clinician', ${c.get('principal').email})`;
      });
      return c.body(null, 204);
    });
    expect((await a.request('/grant', { method: 'POST', headers: iapHeader(await staffJwt(ADMIN)) })).status).toBe(204);
    const [row] = await t.sql<{ actor: string }[]>`
      SELECT actor FROM change_log WHERE table_name = 'staff_roles' AND after ->> 'email' = 'new.clinician@feelaugust.example'`;
    expect(row?.actor).toBe(`staff:${ADMIN}`);
  });

  it('refuses bad setup with a plain Error', () => {
    const logger = logs.logger;
    expect(() => requireSchedulerOrStaff({ oidc, iap, sql: t.sql, staffRoles: [], logger })).toThrow(/staffRoles/);
    expect(() => requireSchedulerOrStaff({ oidc: undefined as never, sql: t.sql, staffRoles: [], logger })).toThrow(
      /oidc/,
    );
  });
});

describe('requirePushAuth', () => {
  let logs: ReturnType<typeof captureLogs>;
  let pushVerifier: GoogleIdTokenVerifier;
  beforeEach(() => {
    logs = captureLogs('test');
    pushVerifier = createGoogleIdTokenVerifier({
      jwksUrl: issuer.jwksUrl,
      audience: PUSH_URL,
      allowedEmails: [PUSHER],
    });
  });

  const pushApp = (options: RequirePushAuthOptions) => {
    const a = new Hono<{ Variables: PushAuthVariables }>();
    a.onError(errorHandler(logs.logger));
    a.use('/pubsub/push', requirePushAuth(options));
    a.post('/pubsub/push', (c) => c.json({ principal: c.get('principal') ?? null }));
    return a;
  };
  const push = (a: Hono<{ Variables: PushAuthVariables }>, headers: Record<string, string> = {}) =>
    a.request('/pubsub/push', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: '{"message":{}}',
    });

  it("mode 'oidc' accepts Pub/Sub's token for the push audience from the push service account", async () => {
    const token = await issuer.control.mintIdToken({ audience: PUSH_URL, email: PUSHER });
    const res = await push(pushApp({ mode: 'oidc', oidc: pushVerifier, logger: logs.logger }), {
      authorization: `Bearer ${token}`,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ principal: { kind: 'service', email: PUSHER } });
  });

  it("mode 'oidc' answers 401 without a token and 403 for the scheduler's token (other audience and email)", async () => {
    const a = pushApp({ mode: 'oidc', oidc: pushVerifier, logger: logs.logger });
    const missing = await push(a);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    const scheduler = await issuer.control.mintIdToken({ audience: SERVICE_URL, email: SCHEDULER });
    expect((await push(a, { authorization: `Bearer ${scheduler}` })).status).toBe(403);
    const expired = await issuer.control.mintIdToken({ audience: PUSH_URL, email: PUSHER, expiresInSeconds: -600 });
    expect((await push(a, { authorization: `Bearer ${expired}` })).status).toBe(401);
  });

  it("mode 'none' lets requests through without a principal and warns once at setup", async () => {
    const res = await push(pushApp({ mode: 'none', logger: logs.logger }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ principal: null });
    expect(
      logs
        .records()
        .filter((l) => l['severity'] === 'WARNING')
        .map((l) => l['message']),
    ).toEqual(['push authentication is OFF (local/emulator only)']);
  });

  it("refuses mode 'none' at setup when K_SERVICE is set, and 'oidc' without a verifier", () => {
    expect(() => requirePushAuth({ mode: 'none', kService: 'coda-push', logger: logs.logger })).toThrow(
      /refused on Cloud Run/,
    );
    expect(() => requirePushAuth({ mode: 'oidc', oidc: undefined as never, logger: logs.logger })).toThrow(
      /needs an `oidc` verifier/,
    );
    expect(() => requirePushAuth({ mode: 'off' as never, logger: logs.logger })).toThrow(/mode must be/);
  });

  it('PUSH_AUTH=none with K_SERVICE set is a config error before any middleware is built', () => {
    const env = { PUSH_AUTH: 'none', K_SERVICE: 'coda-push' };
    const parsed = authEnvSchema.safeParse(env);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({ path: ['PUSH_AUTH'] });
    // And the factory is the second line of defence if a caller skips the schema.
    const settings = authSettingsFromEnv({ ...authEnvSchema.parse({ PUSH_AUTH: 'none' }), K_SERVICE: 'coda-push' });
    expect(() => requirePushAuth({ mode: 'none', kService: settings.kService, logger: logs.logger })).toThrow(
      /K_SERVICE/,
    );
  });
});
