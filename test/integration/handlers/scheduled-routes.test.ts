import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCoda, type LocalCoda } from '../../../cli/local/coda.js';
import { buildService, type BuiltService } from '../../../cli/services.js';
import { DEFAULT_JOBS } from '../../../constructs/scheduled-calls.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { drchronoSyncEnv } from '../../harness/services.js';

// Every Cloud Scheduler job the stacks create must hit a route its target service serves: a job aimed at the wrong
// service gets 404 every night and nobody notices (the cleanup job once called drchrono-sync, which has no such route).
let t: TestDatabase;
let coda: LocalCoda;
let dir: string;
const services = new Map<string, BuiltService>();

beforeAll(async () => {
  t = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'scheduled-routes-'));
  coda = await startLocalCoda(dir);
  for (const name of ['drchrono-sync', 'coda-push'] as const) {
    services.set(name, await buildService(name, drchronoSyncEnv({ ...coda.env, DATABASE_URL: t.url })));
  }
});
afterAll(async () => {
  for (const service of services.values()) await service.close();
  await coda?.sandbox.close();
  await rm(dir, { recursive: true, force: true });
  await t?.drop();
});

describe('scheduled calls', () => {
  it.each(Object.entries(DEFAULT_JOBS))('%s reaches a guarded route of its service', async (_name, job) => {
    const target = services.get(job.service ?? 'drchrono-sync')!;
    // Without a token: a served, guarded route answers 401; a route the service lacks answers 404.
    const res = await target.app.request(job.path, { method: 'POST' });
    expect(res.status).toBe(401);
  });
});
