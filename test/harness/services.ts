import { randomBytes } from 'node:crypto';

/** A complete, valid drchrono-sync environment for `buildService`; override what a test is about. */
export function drchronoSyncEnv(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    DRCHRONO_BASE_URL: 'http://127.0.0.1:1',
    DRCHRONO_CLIENT_ID: 'test-client',
    DRCHRONO_CLIENT_SECRET: 'test-secret',
    DRCHRONO_TOKEN_STORE: 'file:/nonexistent/token.json',
    DRCHRONO_WEBHOOK_SECRET: 'test-webhook-secret-0123456789',
    DEEPCURA_KEY: randomBytes(32).toString('base64'),
    AUTH_OIDC_JWKS_URL: 'http://127.0.0.1:1/certs',
    AUTH_OIDC_AUDIENCE: 'http://drchrono-sync.test',
    AUTH_OIDC_ALLOWED_EMAILS: 'scheduler@test.iam.gserviceaccount.com',
    EVENT_BUS: 'http',
    PUSH_ENDPOINT: 'http://127.0.0.1:1/pubsub/push',
    LOG_LEVEL: 'silent',
    ...overrides,
  };
}
