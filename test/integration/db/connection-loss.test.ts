import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { retryTransient, isTransientDatabaseError } from '../../../sync/db/transient.js';
import { inChangeTransaction } from '../../../sync/upsert.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

const terminate = async (pid: number) => {
  const killer = postgres(t.url, { max: 1, onnotice: () => {} });
  await killer`SELECT pg_terminate_backend(${pid})`;
  await killer.end();
};

describe('losing the database connection mid-transaction', () => {
  it('rejects the transaction with CONNECTION_CLOSED instead of crashing the process, and the pool recovers', async () => {
    // Without patches/postgres+3.4.9.patch the driver writes the ROLLBACK to a null socket from a setImmediate and
    // the uncaught TypeError fails this run (porsager/postgres#1208).
    const sql = postgres(t.url, { max: 2, onnotice: () => {} });
    let pid: number | undefined;
    const tx = sql.begin(async (q) => {
      const [row] = await q<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
      pid = row!.pid;
      await q`SELECT pg_sleep(5)`;
    }).then(() => 'committed', (error: { code?: string }) => error.code);
    while (pid === undefined) await new Promise((r) => setTimeout(r, 10));
    await terminate(pid);
    const outcome = await tx;
    expect(outcome).toBe('CONNECTION_CLOSED');
    await new Promise((r) => setTimeout(r, 200));
    expect(await sql`SELECT 1 AS one`).toEqual([{ one: 1 }]);
    await sql.end({ timeout: 1 });
  });

  it('runs a change transaction again when only the connection was lost', async () => {
    let attempts = 0;
    const result = await inChangeTransaction(t.sql, { actor: 'test:transient' }, async (tx) => {
      attempts++;
      if (attempts === 1) {
        const [row] = await tx<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
        await terminate(row!.pid);
        await tx`SELECT 1`;
      }
      return 'done';
    });
    expect(result).toBe('done');
    expect(attempts).toBe(2);
  });

  it('does not retry errors that are not about the connection', async () => {
    let attempts = 0;
    await expect(retryTransient(async () => {
      attempts++;
      throw Object.assign(new Error('duplicate key'), { code: '23505' });
    })).rejects.toThrow('duplicate key');
    expect(attempts).toBe(1);
    expect(isTransientDatabaseError(Object.assign(new Error(), { code: '57P03' }))).toBe(true);
  });
});
