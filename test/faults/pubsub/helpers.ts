import type { protos } from '@google-cloud/pubsub';
import { expect } from 'vitest';
import { createCodaPushApp } from '../../../handlers/coda-push/app.js';
import { requirePushAuth } from '../../../handlers/middleware/google-auth.js';
import { startCodaSandbox, type RunningCodaSandbox } from '../../../sandbox/coda/index.js';
import { createCodaClient } from '../../../sync/coda/client.js';
import { defaultCodaDocSpec, mappingFromCreatedDoc, type CodaMapping } from '../../../sync/coda/mapping.js';
import { createCodaRateLimiter } from '../../../sync/coda/rate-limiter.js';
import { pubsubClients } from '../../../sync/events/pubsub-clients.js';
import type { Publisher } from '../../../sync/events/types.js';
import type { MirrorRows } from '../../../sync/mirrors.js';
import { compareCodaWithPostgres, type CodaComparison } from '../../harness/coda-compare.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { captureLogs } from '../../harness/logs.js';
import type { PushDriver } from '../../harness/pubsub.js';

export const PROJECT_ID = 'local';
const TOKEN = 'pubsub-faults-token';
/** Coda's write window shortened to 1 s (limiter and sandbox agree), so the suites stay fast. */
const WINDOW_MS = 1_000;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A synthetic patient; `version` changes the name so updates are visible field by field. */
export const patient = (n: number, version = 0): MirrorRows['patients'] => ({
  drchrono_id: String(700_000 + n),
  first_name: `Quillon${n}v${version}`,
  last_name: 'Marrowfield',
  date_of_birth: `19${50 + (n % 50)}-0${1 + (n % 9)}-1${n % 10}`,
  email: `qm${n}@example.invalid`,
  cell_phone: n % 3 === 0 ? null : `555-02${String(n % 100).padStart(2, '0')}`,
  patient_status: 'A',
  raw: { id: 700_000 + n, version },
  source_updated_at: new Date(Date.UTC(2026, 0, 1, 0, 0, version)).toISOString(),
});

export interface Chain {
  readonly db: TestDatabase;
  readonly coda: RunningCodaSandbox;
  readonly mapping: CodaMapping;
  /** coda-push with push auth `none` (emulator), talking to the Coda sandbox. */
  readonly app: ReturnType<typeof createCodaPushApp>;
  readonly logs: ReturnType<typeof captureLogs>;
  /** `app.request` as a push-driver handler. */
  handler(request: Request): Promise<Response>;
  close(): Promise<void>;
}

/** Postgres (fresh database), the Coda sandbox with the default doc, and coda-push wired to both. */
export async function startChain(): Promise<Chain> {
  const [db, coda] = await Promise.all([
    createTestDatabase(),
    startCodaSandbox({ tokens: [TOKEN], applyDelayMs: 20, rateLimits: { windowMs: WINDOW_MS } }),
  ]);
  const logs = captureLogs('coda-push');
  const mapping = mappingFromCreatedDoc(coda.control.createDoc(defaultCodaDocSpec({ docId: 'pubsub-faults' })));
  const client = createCodaClient({
    baseUrl: coda.url,
    token: TOKEN,
    sql: db.sql,
    logger: logs.logger,
    rateLimiter: createCodaRateLimiter({ windowMs: WINDOW_MS }),
    retryMinDelayMs: 50,
    retryMaxDelayMs: 1_000,
  });
  const app = createCodaPushApp({
    sql: db.sql,
    logger: logs.logger,
    coda: client,
    mapping,
    pushAuth: requirePushAuth({ mode: 'none', logger: logs.logger }),
    operatorGuard: async () => {
      throw new Error('maintenance routes are not used here');
    },
    mutationTimeoutMs: 10_000,
    pollIntervalMs: 20,
  });
  return {
    db,
    coda,
    mapping,
    app,
    logs,
    handler: async (request) => app.fetch(request),
    close: async () => {
      await Promise.all([db.drop(), coda.close()]);
    },
  };
}

export const compare = (chain: Chain, table = 'patients'): Promise<CodaComparison> =>
  compareCodaWithPostgres(chain.db.sql, chain.mapping, (id) => chain.coda.control.rows(id), table);

/** Polls until Coda equals Postgres for `table` (rows are applied asynchronously), then returns the comparison. */
export async function settledComparison(chain: Chain, table = 'patients', timeoutMs = 30_000): Promise<CodaComparison> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await compare(chain, table);
    const clean =
      result.missing.length + result.duplicates.length + result.mismatched.length + result.extra.length === 0;
    if (clean || Date.now() > deadline) return result;
    await sleep(200);
  }
}

/** The acceptance bar: every Coda row equals its Postgres row, no row missing, duplicated or extra. */
export function expectCodaEqualsPostgres(result: CodaComparison, postgresRows: number): void {
  expect(result).toMatchObject({ missing: [], duplicates: [], mismatched: [], extra: [] });
  expect(result.postgresRows).toBe(postgresRows);
  expect(result.codaRows).toBe(postgresRows);
}

export async function pendingOutboxRows(chain: Chain): Promise<number> {
  const [row] = await chain.db.sql<{ n: string }[]>`SELECT count(*) AS n FROM outbox WHERE published_at IS NULL`;
  return Number(row!.n);
}

/**
 * Looks at a subscription without consuming it (like `gcloud pubsub subscriptions pull` without `--auto-ack`):
 * pulls, then hands every message back at once with `modifyAckDeadline 0`.
 */
export async function peek(host: string, subscriptionId: string, waitMs = 1_000) {
  const clients = pubsubClients({ projectId: PROJECT_ID, apiEndpoint: host });
  const subscription = clients.subscriptionName(subscriptionId);
  try {
    let received: protos.google.pubsub.v1.IReceivedMessage[] | null | undefined;
    try {
      [{ receivedMessages: received }] = await clients.subscriber.pull(
        { subscription, maxMessages: 100 },
        { timeout: waitMs, retry: null },
      );
    } catch (error) {
      if ((error as { code?: unknown }).code !== 4) throw error;
    }
    const items = received ?? [];
    const ackIds = items.map((r) => r.ackId).filter((id): id is string => Boolean(id));
    if (ackIds.length > 0) await clients.subscriber.modifyAckDeadline({ subscription, ackIds, ackDeadlineSeconds: 0 });
    return items.map((r) => ({
      messageId: r.message?.messageId ?? '',
      data: Buffer.from(r.message?.data ?? ''),
      attributes: { ...(r.message?.attributes ?? {}) },
    }));
  } finally {
    await clients.close();
  }
}

/** Polls `peek` until at least `count` messages are there (dead-lettering lags the last nack by ~2 s). */
export async function waitForMessages(host: string, subscriptionId: string, count: number, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await peek(host, subscriptionId, 500);
    if (seen.length >= count || Date.now() > deadline) return seen;
    await sleep(300);
  }
}

/**
 * Runs a push driver in the background like a push subscription would, surviving a bus that is down or lost its
 * subscription (pull errors are counted and retried).
 */
export function pump(driver: PushDriver): { errors: () => number; stop: () => Promise<void> } {
  let running = true;
  let errors = 0;
  const loop = (async () => {
    while (running) {
      let delivered = 0;
      try {
        delivered = await driver.pollOnce(500);
      } catch {
        errors++;
        await sleep(200);
      }
      if (delivered === 0) await sleep(100);
    }
  })();
  return {
    errors: () => errors,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/**
 * Wraps a publisher with a gate the test can close: publishes that start while it is closed wait until it opens.
 * Also records every message id the bus accepted. Counts publishes in flight.
 */
export function gatedPublisher(inner: Publisher) {
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  let inFlight = 0;
  const accepted: string[] = [];
  const publisher: Publisher = {
    async publish(message) {
      while (gate) await gate;
      inFlight++;
      try {
        const id = await inner.publish(message);
        accepted.push(id);
        return id;
      } finally {
        inFlight--;
      }
    },
    close: () => inner.close(),
  };
  return {
    publisher,
    accepted,
    inFlight: () => inFlight,
    close() {
      gate ??= new Promise<void>((r) => (open = r));
    },
    open() {
      gate = undefined;
      open?.();
    },
  };
}
