import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCoda, type LocalCoda } from '../../../cli/local/coda.js';
import { buildService, type BuiltService } from '../../../cli/services.js';
import { startGoogleOidcSandbox, type RunningGoogleOidcSandbox } from '../../../sandbox/google-oidc/index.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { drchronoSyncEnv } from '../../harness/services.js';

// coda-push as deployed: the push subscription's identity may only push, the scheduler's identity may only call
// operator endpoints. One shared list would let either do both.
const SERVICE_URL = 'https://coda-push-123.us-central1.run.app';
const PUSHER = 'change-events-push@feel-august.iam.gserviceaccount.com';
const SCHEDULER = 'scheduler-invoker@feel-august.iam.gserviceaccount.com';

let t: TestDatabase;
let coda: LocalCoda;
let issuer: RunningGoogleOidcSandbox;
let dir: string;
let service: BuiltService;

beforeAll(async () => {
  t = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'caller-lists-'));
  coda = await startLocalCoda(dir);
  issuer = await startGoogleOidcSandbox();
  service = await buildService(
    'coda-push',
    drchronoSyncEnv({
      ...coda.env,
      DATABASE_URL: t.url,
      AUTH_OIDC_JWKS_URL: issuer.jwksUrl,
      AUTH_OIDC_AUDIENCE: SERVICE_URL,
      AUTH_OIDC_ALLOWED_EMAILS: SCHEDULER,
      PUSH_OIDC_ALLOWED_EMAILS: PUSHER,
      PUSH_AUTH: 'oidc',
    }),
  );
});
afterAll(async () => {
  await service?.close();
  await issuer?.close();
  await coda?.sandbox.close();
  await rm(dir, { recursive: true, force: true });
  await t?.drop();
});

const call = async (route: string, email: string) => {
  const token = await issuer.control.mintIdToken({ audience: SERVICE_URL, email });
  // An envelope without a message: a push that passed auth is refused as malformed (400), not as unauthorised.
  return service.app.request(route, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: '{}',
  });
};

describe('coda-push caller allow-lists', () => {
  it('lets the push identity push but not call operator endpoints', async () => {
    expect((await call('/pubsub/push', PUSHER)).status).toBe(400);
    expect((await call('/maintenance/cleanup', PUSHER)).status).toBe(403);
  });

  it('lets the scheduler call operator endpoints but not push', async () => {
    expect((await call('/maintenance/cleanup', SCHEDULER)).status).toBe(200);
    expect((await call('/pubsub/push', SCHEDULER)).status).toBe(403);
  });
});
