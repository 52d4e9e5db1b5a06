import PQueue from 'p-queue';
import type { Sql, TransactionSql } from 'postgres';

// Why pushes of one table are serialised (issue: "an older version overwrites the newer one in Coda"):
// a push reads rows, then retries the same payload through 429/5xx for a minute or more. If another push of the same
// table reads the newer version and lands meanwhile, the first push's last retry lands the older one, for good.
// With one writer per table at a time, and rows read only once the writer holds the table, every write carries data
// read after the previous write of that table was applied (confirmed through mutationStatus), and Postgres rows only
// move forward — so no write can carry data older than a write that already landed.

export interface TableWriteLock {
  /**
   * Runs `work` as the only Coda writer of `table`: first in this process (FIFO per table, so waiting requests hold
   * no connection), then across instances (a transaction-level Postgres advisory lock, released by commit, rollback
   * or a dead connection — it can never leak). `work` gets that transaction; read the rows with it.
   */
  run<T>(table: string, work: (tx: TransactionSql) => Promise<T>): Promise<T>;
}

export interface TableWriteLockOptions {
  /**
   * Tables written at the same time. Each holds one pooled connection for the whole push, and the Coda client needs
   * free ones for its access_log rows, so keep it under the pool size. Coda's 10 writes / 6 s gain nothing from more.
   * @default half the pool's `max` (at least 1)
   */
  readonly maxTablesInFlight?: number;
}

/** @throws Error when `maxTablesInFlight` is not a positive integer */
export function createTableWriteLock(sql: Sql, options: TableWriteLockOptions = {}): TableWriteLock {
  const poolMax = Number((sql.options as { max?: unknown }).max) || 10;
  const concurrency = options.maxTablesInFlight ?? Math.max(1, Math.floor(poolMax / 2));
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(
      `createTableWriteLock: maxTablesInFlight must be a positive integer, got ${String(options.maxTablesInFlight)}`,
    );
  }
  const slots = new PQueue({ concurrency });
  /** Per table, the promise the next writer waits for. */
  const tails = new Map<string, Promise<void>>();

  const locked = <T>(table: string, work: (tx: TransactionSql) => Promise<T>) =>
    sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(hashtext(${`coda-push:${table}`}))`;
      return work(tx);
    }) as Promise<T>;

  return {
    run<T>(table: string, work: (tx: TransactionSql) => Promise<T>): Promise<T> {
      const previous = tails.get(table) ?? Promise.resolve();
      const mine = previous.then(() => slots.add(() => locked(table, work)) as Promise<T>);
      const tail = mine.then(
        () => undefined,
        () => undefined,
      );
      tails.set(table, tail);
      void tail.then(() => {
        if (tails.get(table) === tail) tails.delete(table);
      });
      return mine;
    },
  };
}

const shared = new WeakMap<Sql, TableWriteLock>();

/** The process-wide lock of a pool: every push through the same pool must share one, or they would not exclude each other. */
export function tableWriteLockFor(sql: Sql): TableWriteLock {
  let lock = shared.get(sql);
  if (!lock) shared.set(sql, (lock = createTableWriteLock(sql)));
  return lock;
}
