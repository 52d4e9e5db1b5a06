import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type Socket } from 'node:net';
import postgres from 'postgres';
import { freePort } from '../../../cli/local/postgres.js';
import { retryTransient, isTransientDatabaseError } from '../../../sync/db/transient.js';
import { inChangeTransaction } from '../../../sync/db/change-transaction.js';
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
    const tx = sql
      .begin(async (q) => {
        const [row] = await q<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
        pid = row!.pid;
        await q`SELECT pg_sleep(5)`;
      })
      .then(
        () => 'committed',
        (error: { code?: string }) => error.code,
      );
    while (pid === undefined) await new Promise((r) => setTimeout(r, 10));
    await terminate(pid);
    const outcome = await tx;
    expect(outcome).toBe('CONNECTION_CLOSED');
    await new Promise((r) => setTimeout(r, 200));
    expect(await sql`SELECT 1 AS one`).toEqual([{ one: 1 }]);
    await sql.end({ timeout: 1 });
  });

  const within = <T>(promise: Promise<T>, ms: number) =>
    Promise.race([promise, new Promise<'timed out'>((r) => setTimeout(() => r('timed out'), ms).unref())]);

  it('does not hand a reserved connection that died back to the pool (porsager/postgres#1199)', async () => {
    // drchrono-sync holds its sync lock on a reserved connection. Unpatched, releasing it after a Postgres restart put
    // the dead connection in the pool's open list, and every later reserve() picked it again: syncs failed for good.
    // Repeated, because the close can arrive before or after the release, and with a socket error in between a
    // query handed over meanwhile used to wait forever.
    for (let round = 0; round < 20; round++) {
      const sql = postgres(t.url, { max: 1, onnotice: () => {} });
      const reserved = await sql.reserve();
      const [row] = await reserved<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
      await terminate(row!.pid);
      // CONNECTION_CLOSED or ECONNRESET, depending on whether the write or the reset comes first.
      const lost = await reserved`SELECT 1`.then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isTransientDatabaseError(lost), String(lost)).toBe(true);
      reserved.release();
      // The first query may still meet the closing connection (a transient error the callers retry); it must settle.
      const first = await within(
        sql`SELECT 1 AS one`.catch((error: unknown) => error),
        5_000,
      );
      expect(first === 'timed out' ? first : 'settled', `round ${round}`).toBe('settled');
      if (!Array.isArray(first)) expect(isTransientDatabaseError(first), String(first)).toBe(true);
      // Queries already on their way to the dying backend may fail too; what matters is that retrying gets through.
      expect(
        await within(
          retryTransient(() => sql`SELECT 2 AS two`),
          10_000,
        ),
      ).toEqual([{ two: 2 }]);
      const again = await within(sql.reserve(), 5_000);
      if (again === 'timed out') throw new Error('reserve() never settled');
      expect(await again`SELECT 3 AS three`).toEqual([{ three: 3 }]);
      again.release();
      await sql.end({ timeout: 1 });
    }
  }, 60_000);

  it('settles a queued reserve() when the connection it waits for is terminated (porsager/postgres#1195)', async () => {
    const sql = postgres(t.url, { max: 1, onnotice: () => {} });
    const holder = await sql.reserve();
    const [row] = await holder<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
    const queued = sql.reserve();
    await terminate(row!.pid);
    await new Promise((r) => setTimeout(r, 200)); // let the pool see the close, as the sync's finally block does
    holder.release();
    const second = await within(queued, 5_000);
    if (second === 'timed out') throw new Error('the queued reserve() never settled');
    expect(await second`SELECT 3 AS three`).toEqual([{ three: 3 }]);
    second.release();
    expect(await within(sql`SELECT 4 AS four`, 5_000)).toEqual([{ four: 4 }]);
    await sql.end({ timeout: 1 });
  });

  it('keeps the pool usable after a reserve() failed because Postgres was down', async () => {
    // A reserve() rejected while the server was down must leave the queue: the patch keeps queued reserves queued
    // across reconnects, so a stale one would otherwise take the first connection that opens, for good.
    const pgUrl = new URL(t.url);
    const port = await freePort();
    // Postgres on an address we can take down and bring back: a TCP relay to the real server.
    const sockets = new Set<Socket>();
    const relay = createServer((client) => {
      const upstream = connect(Number(pgUrl.port), '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    const up = () => new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
    const down = () =>
      new Promise<void>((resolve) => {
        relay.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    const sql = postgres({
      host: '127.0.0.1',
      port,
      database: pgUrl.pathname.slice(1),
      username: decodeURIComponent(pgUrl.username),
      password: decodeURIComponent(pgUrl.password),
      max: 1,
      connect_timeout: 2,
      onnotice: () => {},
    });
    try {
      await up();
      expect(await sql`SELECT 1 AS one`).toEqual([{ one: 1 }]);
      await down();
      await new Promise((r) => setTimeout(r, 200)); // the pool sees its connection close
      expect(
        await sql.reserve().then(
          () => 'reserved',
          (error: { code?: string }) => error.code,
        ),
      ).toBe('ECONNREFUSED');
      await up();
      expect(await within(sql`SELECT 5 AS five`, 10_000)).toEqual([{ five: 5 }]);
      const reserved = await within(sql.reserve(), 10_000);
      if (reserved === 'timed out') throw new Error('reserve() never settled');
      expect(await reserved`SELECT 6 AS six`).toEqual([{ six: 6 }]);
      reserved.release();
    } finally {
      await sql.end({ timeout: 1 });
      await down();
    }
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
    await expect(
      retryTransient(async () => {
        attempts++;
        throw Object.assign(new Error('duplicate key'), { code: '23505' });
      }),
    ).rejects.toThrow('duplicate key');
    expect(attempts).toBe(1);
    expect(isTransientDatabaseError(Object.assign(new Error(), { code: '57P03' }))).toBe(true);
  });
});
