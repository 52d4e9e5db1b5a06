import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCoda, type LocalCoda } from '../../../cli/local/coda.js';
import { buildService, type ServiceName } from '../../../cli/services.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { drchronoSyncEnv } from '../../harness/services.js';

let t: TestDatabase;
let coda: LocalCoda;
let dir: string;
beforeAll(async () => {
  t = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'health-'));
  coda = await startLocalCoda(dir);
});
afterAll(async () => {
  await coda.sandbox.close();
  await rm(dir, { recursive: true, force: true });
  await t.drop();
});

const build = (service: ServiceName, databaseUrl: string) =>
  buildService(service, drchronoSyncEnv({ ...coda.env, DATABASE_URL: databaseUrl }));

describe.each(['drchrono-sync', 'coda-push'] as const)('%s GET /health', (service) => {
  it('answers 200 when the database answers', async () => {
    const built = await build(service, t.url);
    const res = await built.app.request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ service, status: 'ok', database: 'ok' });
    await built.close();
  });

  it('answers 503 when the database is down', async () => {
    const built = await build(service, t.url);
    // The service started fine; now its database goes away.
    await built.database.sql.end({ timeout: 1 });
    const res = await built.app.request('/health');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ service, status: 'unavailable', database: 'unreachable' });
    await built.close();
  });

  it('answers unknown paths with a JSON 404 and a request id', async () => {
    const built = await build(service, t.url);
    const res = await built.app.request('/nope', { headers: { 'X-Request-Id': 'abc-123' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    expect(await res.json()).toEqual({ error: 'not found' });
    await built.close();
  });
});
