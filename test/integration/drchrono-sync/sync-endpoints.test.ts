import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildService, type BuiltService } from '../../../cli/services.js';
import { DEFAULT_CLIENT } from '../../../sandbox/drchrono/index.js';
import { startGoogleOidcSandbox } from '../../../sandbox/google-oidc/index.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { DRCHRONO_REAUTHORISE } from '../../../handlers/drchrono-sync/sync-routes.js';
import { FileTokenStore } from '../../../sync/drchrono/token-store.js';
import { drchronoSyncEnv } from '../../harness/services.js';
import { startHarness, type Harness } from '../drchrono/helpers.js';

const AUDIENCE = 'http://drchrono-sync.test';
const SCHEDULER = 'scheduler@test.iam.gserviceaccount.com';
let t: TestDatabase;
let h: Harness;
let oidc: Awaited<ReturnType<typeof startGoogleOidcSandbox>>;
let service: BuiltService;

beforeAll(async () => {
  t = await createTestDatabase();
  h = await startHarness({ patientCount: 15, seed: 3 });
  await h.seedTokens();
  oidc = await startGoogleOidcSandbox();
  service = await buildService(
    'drchrono-sync',
    drchronoSyncEnv({
      DATABASE_URL: t.url,
      DRCHRONO_BASE_URL: h.sandbox.url,
      DRCHRONO_CLIENT_ID: DEFAULT_CLIENT.clientId,
      DRCHRONO_CLIENT_SECRET: DEFAULT_CLIENT.clientSecret,
      DRCHRONO_TOKEN_STORE: `file:${h.tokenFile}`,
      AUTH_OIDC_JWKS_URL: oidc.jwksUrl,
      AUTH_OIDC_AUDIENCE: AUDIENCE,
      AUTH_OIDC_ALLOWED_EMAILS: SCHEDULER,
    }),
    { syncDeps: { clock: h.time.clock } },
  );
});
afterAll(async () => {
  await service.close();
  await oidc.close();
  await h.close();
  await t.drop();
});

const post = (path: string, token?: string) =>
  service.app.request(path, { method: 'POST', headers: token ? { Authorization: `Bearer ${token}` } : {} });

describe('POST /sync/*', () => {
  it('refuses a call without a token with 401', async () => {
    const res = await post('/sync/patients');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('refuses a token signed by an unknown key with 401', async () => {
    expect(
      (
        await post(
          '/sync/patients',
          await oidc.control.mintIdToken({ audience: AUDIENCE, email: SCHEDULER, signWithUnknownKey: true }),
        )
      ).status,
    ).toBe(401);
  });

  it('refuses a token of the wrong audience with 403', async () => {
    expect(
      (
        await post(
          '/sync/patients',
          await oidc.control.mintIdToken({ audience: 'https://elsewhere', email: SCHEDULER }),
        )
      ).status,
    ).toBe(403);
  });

  it('refuses a token of another service account with 403', async () => {
    expect(
      (
        await post(
          '/sync/patients',
          await oidc.control.mintIdToken({ audience: AUDIENCE, email: 'intruder@test.iam.gserviceaccount.com' }),
        )
      ).status,
    ).toBe(403);
  });

  it('runs the sync for the scheduler and records it as the actor', async () => {
    const res = await post(
      '/sync/patients?full=true',
      await oidc.control.mintIdToken({ audience: AUDIENCE, email: SCHEDULER }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: { resource: string; seen: number }[] };
    expect(body.results[0]).toMatchObject({ resource: 'patients', seen: 15 });
    const [row] = await t.sql`SELECT DISTINCT actor FROM change_log WHERE table_name = 'patients'`;
    expect(row!.actor).toBe(`service:${SCHEDULER}`);
  });

  it('runs the lab sync for the scheduler: the first incremental run walks the three lab lists', async () => {
    const res = await post('/sync/labs', await oidc.control.mintIdToken({ audience: AUDIENCE, email: SCHEDULER }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: { resource: string; kind: string; seen: number }[] };
    expect(body.results.map((r) => `${r.resource}:${r.kind}`)).toEqual([
      'lab_orders:full',
      'lab_tests:full',
      'lab_results:full',
    ]);
    expect(body.results[2]!.seen).toBe(h.sandbox.control.count('lab_results'));
    // The next incremental run polls orders by `since`.
    const next = await post('/sync/labs', await oidc.control.mintIdToken({ audience: AUDIENCE, email: SCHEDULER }));
    const again = (await next.json()) as { results: { resource: string; kind: string; apiCalls: number }[] };
    expect(again.results.map((r) => `${r.resource}:${r.kind}:${r.apiCalls}`)).toEqual([
      'lab_orders:incremental:1',
      'lab_results:incremental:0',
    ]);
  });

  it('refuses a lab review acknowledgement from a service account (a person must acknowledge)', async () => {
    const token = await oidc.control.mintIdToken({ audience: AUDIENCE, email: SCHEDULER });
    expect((await post('/labs/reviews/1/acknowledge', token)).status).toBe(403);
    expect((await post('/labs/reviews/1/acknowledge')).status).toBe(401);
  });

  it('answers 404 for an unknown sync target', async () => {
    expect(
      (await post('/sync/everything', await oidc.control.mintIdToken({ audience: AUDIENCE, email: SCHEDULER }))).status,
    ).toBe(404);
  });

  it('answers 503 telling on-call to re-authorise DrChrono when the refresh token is revoked, not 500', async () => {
    // Someone else spends the service's single-use refresh token, then its access token expires: DrChrono answers
    // invalid_grant to the service's refresh.
    const stored = await new FileTokenStore(h.tokenFile).load();
    const spent = await fetch(`${h.sandbox.url}/o/token/`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: stored!.refreshToken,
        client_id: DEFAULT_CLIENT.clientId,
        client_secret: DEFAULT_CLIENT.clientSecret,
      }),
    });
    expect(spent.status).toBe(200);
    h.sandbox.control.expireAccessTokens();
    try {
      const res = await post(
        '/sync/patients',
        await oidc.control.mintIdToken({ audience: AUDIENCE, email: SCHEDULER }),
      );
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ error: DRCHRONO_REAUTHORISE });
    } finally {
      await h.seedTokens();
    }
  });
});

describe('staff roles on operator routes (IAP)', () => {
  const IAP_AUDIENCE = '/projects/123456789/global/backendServices/77';
  const BILLER = 'biller@example.invalid';
  const ADMIN = 'admin@example.invalid';
  let withIap: BuiltService;
  const iapPost = async (path: string, email: string) =>
    withIap.app.request(path, {
      method: 'POST',
      headers: {
        'x-goog-iap-jwt-assertion': await oidc.control.mintIapJwt({ audience: IAP_AUDIENCE, email }),
      },
    });

  beforeAll(async () => {
    await t.sql`INSERT INTO staff_roles (email, role, granted_by) VALUES
                (${BILLER}, 'billing', 'setup@example.invalid'), (${ADMIN}, 'admin', 'setup@example.invalid')`;
    withIap = await buildService(
      'drchrono-sync',
      drchronoSyncEnv({
        DATABASE_URL: t.url,
        DRCHRONO_BASE_URL: h.sandbox.url,
        DRCHRONO_CLIENT_ID: DEFAULT_CLIENT.clientId,
        DRCHRONO_CLIENT_SECRET: DEFAULT_CLIENT.clientSecret,
        DRCHRONO_TOKEN_STORE: `file:${h.tokenFile}`,
        AUTH_OIDC_JWKS_URL: oidc.jwksUrl,
        AUTH_OIDC_AUDIENCE: AUDIENCE,
        AUTH_OIDC_ALLOWED_EMAILS: SCHEDULER,
        AUTH_IAP_AUDIENCE: IAP_AUDIENCE,
        AUTH_IAP_JWKS_URL: oidc.iapJwksUrl,
      }),
      { syncDeps: { clock: h.time.clock } },
    );
  });
  afterAll(() => withIap.close());

  it('lets billing staff run the billing sync and nothing else; admins run everything', async () => {
    const billing = await iapPost('/sync/billing', BILLER);
    expect(billing.status).toBe(200);
    const body = (await billing.json()) as { results: { resource: string }[] };
    expect(body.results.map((r) => r.resource)).toEqual([
      'line_items',
      'transactions',
      'patient_payments',
      'line_item_deletions',
      'patient_payment_log',
    ]);
    expect((await iapPost('/sync/all', BILLER)).status).toBe(403);
    expect((await iapPost('/sync/patients', BILLER)).status).toBe(403);
    expect((await iapPost('/outbox/drain', BILLER)).status).toBe(403);
    expect((await iapPost('/sync/billing', ADMIN)).status).toBe(200);
    expect((await iapPost('/sync/patients', ADMIN)).status).toBe(200);
  });
});
