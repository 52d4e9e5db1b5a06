import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodaPushApp } from '../../../handlers/coda-push/app.js';
import { createDrChronoSyncApp } from '../../../handlers/drchrono-sync/app.js';
import { freePort } from '../../../cli/local/postgres.js';
import { createDatabase } from '../../../sync/db/client.js';
import { createLogger } from '../../../sync/observability/logger.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';

const logger = createLogger({ service: 'test', level: 'silent' });
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

describe.each([
  ['drchrono-sync', createDrChronoSyncApp],
  ['coda-push', createCodaPushApp],
])('%s GET /health', (service, createApp) => {
  it('answers 200 when the database answers', async () => {
    const res = await createApp({ sql: t.sql, logger }).request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ service, status: 'ok', database: 'ok' });
  });

  it('answers 503 when the database is down', async () => {
    const down = createDatabase({ url: `postgres://postgres:postgres@127.0.0.1:${await freePort()}/nothing`, connectTimeoutSeconds: 1 });
    const res = await createApp({ sql: down.sql, logger }).request('/health');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ service, status: 'unavailable', database: 'unreachable' });
    await down.close();
  });

  it('answers unknown paths with a JSON 404 and a request id', async () => {
    const res = await createApp({ sql: t.sql, logger }).request('/nope', { headers: { 'X-Request-Id': 'abc-123' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    expect(await res.json()).toEqual({ error: 'not found' });
  });
});
