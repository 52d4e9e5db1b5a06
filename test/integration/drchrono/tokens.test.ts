import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../../sync/db/client.js';
import { DrChronoAuthError } from '../../../sync/drchrono/errors.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { accessLogRows, startHarness, walkIds, type Harness } from './helpers.js';

let t: TestDatabase;
let h: Harness;

// A fresh database per test: access_log is append-only (no TRUNCATE), and the budget starts empty.
beforeEach(async () => {
  t = await createTestDatabase();
});
afterEach(async () => {
  await h.close();
  await t.drop();
});

describe('the token manager', () => {
  it('uses the stored pair while it is fresh and refreshes it 10 minutes before it expires', async () => {
    h = await startHarness({ accessTokenLifetimeSeconds: 3600 });
    const seeded = await h.seedTokens();
    const { client } = h.instance(t.sql);

    expect(await client.get('patients', '1000000')).not.toBeNull();
    expect(h.sandbox.control.refreshCount()).toBe(0);

    h.time.advance(51 * 60_000); // 9 minutes left: inside the margin
    expect(await client.get('patients', '1000001')).not.toBeNull();
    expect(h.sandbox.control.refreshCount()).toBe(1);

    const stored = await h.store.load();
    expect(stored?.refreshToken).not.toBe(seeded.refreshToken);
    expect(stored?.expiresAt.getTime()).toBe(h.time.clock() + 3600_000);
    // The refresh is one access_log row on the token endpoint, before the API call that needed it.
    expect((await accessLogRows(t.sql)).map((r) => [r.method, r.path_template, r.status])).toEqual([
      ['GET', '/api/patients/{id}', 200],
      ['POST', '/o/token/', 200],
      ['GET', '/api/patients/{id}', 200],
    ]);
  });

  it('refreshes once when the access token expires in the middle of a walk, and loses no page', async () => {
    h = await startHarness({ patientCount: 30 });
    await h.seedTokens();
    const { client } = h.instance(t.sql);

    const ids = await walkIds(client.pages('patients', { page_size: '5' }), (n) => {
      if (n === 2) h.sandbox.control.expireAccessTokens();
    });

    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
    expect(h.sandbox.control.refreshCount()).toBe(1);
    const statuses = (await accessLogRows(t.sql)).map((r) => `${r.path_template} ${r.status}`);
    expect(statuses).toEqual([
      '/api/patients 200',
      '/api/patients 200',
      '/api/patients 401',
      '/o/token/ 200',
      '/api/patients 200',
      '/api/patients 200',
      '/api/patients 200',
      '/api/patients 200',
    ]);
  });

  it('lets exactly one of two instances refresh when both meet an expired token at once, and both succeed', async () => {
    h = await startHarness({ patientCount: 30 });
    await h.seedTokens();
    const other: Database = createDatabase({ url: t.url, maxConnections: 3 });
    try {
      const a = h.instance(t.sql).client;
      const b = h.instance(other.sql).client;
      await Promise.all([a.get('patients', '1000000'), b.get('patients', '1000000')]); // both have the pair cached

      h.sandbox.control.expireAccessTokens();
      const results = await Promise.all([
        ...Array.from({ length: 4 }, (_, i) => a.get('patients', String(1_000_000 + i))),
        ...Array.from({ length: 4 }, (_, i) => b.get('patients', String(1_000_010 + i))),
      ]);

      expect(results.every((r) => r !== null)).toBe(true);
      expect(h.sandbox.control.refreshCount()).toBe(1);
      const tokenCalls = (await accessLogRows(t.sql)).filter((r) => r.path_template === '/o/token/');
      expect(tokenCalls.map((r) => r.status)).toEqual([200]);
    } finally {
      await other.close();
    }
  });

  it('lets exactly one of two instances refresh when the clock says the token is about to expire', async () => {
    h = await startHarness({ accessTokenLifetimeSeconds: 3600 });
    await h.seedTokens();
    const other: Database = createDatabase({ url: t.url, maxConnections: 3 });
    try {
      const a = h.instance(t.sql).client;
      const b = h.instance(other.sql).client;
      h.time.advance(55 * 60_000);
      const results = await Promise.all([
        a.get('patients', '1000000'),
        b.get('patients', '1000001'),
        a.get('patients', '1000002'),
        b.get('patients', '1000003'),
      ]);
      expect(results.every((r) => r !== null)).toBe(true);
      expect(h.sandbox.control.refreshCount()).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('throws DrChronoAuthError when the stored refresh token was already used (invalid_grant)', async () => {
    h = await startHarness();
    const seeded = await h.seedTokens();
    // Someone refreshed with the stored token outside the lock (e.g. a stray script): the stored pair is now dead.
    const response = await fetch(`${h.sandbox.url}/o/token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: seeded.refreshToken,
        client_id: 'sandbox-client-id',
        client_secret: 'sandbox-client-secret',
      }),
    });
    expect(response.status).toBe(200);

    const { client } = h.instance(t.sql);
    const error = await client.get('patients', '1000000').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DrChronoAuthError);
    expect((error as Error).message).not.toContain(seeded.refreshToken);
    expect((await accessLogRows(t.sql)).map((r) => [r.path_template, r.status, r.error_class])).toEqual([
      ['/api/patients/{id}', 401, 'DrChronoAuthError'],
      ['/o/token/', 400, 'DrChronoAuthError'],
    ]);
    // The dead pair is left in place for the operator; nothing was overwritten.
    expect((await h.store.load())?.refreshToken).toBe(seeded.refreshToken);
  });

  it('refreshes on a one-connection pool (the lock transaction does not need a second connection)', async () => {
    h = await startHarness({ accessTokenLifetimeSeconds: 3600 });
    await h.seedTokens();
    const single: Database = createDatabase({ url: t.url, maxConnections: 1 });
    try {
      const { client } = h.instance(single.sql);
      h.time.advance(55 * 60_000);
      expect(await client.get('patients', '1000000')).not.toBeNull();
      expect(h.sandbox.control.refreshCount()).toBe(1);
      expect((await accessLogRows(t.sql)).map((r) => r.path_template)).toEqual(['/o/token/', '/api/patients/{id}']);
    } finally {
      await single.close();
    }
  });

  it('throws DrChronoAuthError when no pair was ever stored', async () => {
    h = await startHarness();
    const { client } = h.instance(t.sql);
    await expect(client.get('patients', '1000000')).rejects.toBeInstanceOf(DrChronoAuthError);
  });
});
