import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Sql } from 'postgres';
import {
  startDrChronoSandbox,
  type RunningDrChronoSandbox,
  type StartDrChronoSandboxOptions,
} from '../../../sandbox/drchrono/index.js';
import { DEFAULT_CLIENT } from '../../../sandbox/drchrono/oauth.js';
import {
  createDrChronoClientFromConfig,
  type ConfiguredDrChronoClient,
  type DrChronoClientConfig,
} from '../../../sync/drchrono/config.js';
import { FileTokenStore, type TokenStore } from '../../../sync/drchrono/token-store.js';
import type { Logger } from '../../../sync/observability/logger.js';
import { captureLogs } from '../../harness/logs.js';

/** 2026-03-02 10:00:00Z: after the dataset's epoch, at the top of an hour. */
export const START_MS = Date.UTC(2026, 2, 2, 10, 0, 0);

/** A fake clock shared by the sandbox and the client; `sleep` advances it instantly and records each wait. */
export function fakeTime(startMs = START_MS) {
  let now = startMs;
  const sleeps: number[] = [];
  return {
    /** Epoch milliseconds. */
    clock: () => now,
    advance(ms: number) {
      now += ms;
    },
    sleeps,
    sleep: async (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      now += ms;
    },
  };
}
export type FakeTime = ReturnType<typeof fakeTime>;

/** Captures JSON log lines in memory, to scan them for PHI (the harness's capture). */
export function memoryLogger(): { logger: Logger; lines: string[] } {
  const logs = captureLogs('drchrono-test');
  return { logger: logs.logger, lines: logs.lines() };
}

export interface Harness {
  readonly time: FakeTime;
  readonly sandbox: RunningDrChronoSandbox;
  readonly tokenFile: string;
  readonly store: TokenStore;
  readonly logs: string[];
  readonly logger: Logger;
  /** A client instance (own token manager and budget) over `sql`; call twice for two "instances". */
  instance(sql: Sql, overrides?: Partial<DrChronoClientConfig>): ConfiguredDrChronoClient;
  /** Issues a fresh pair at the sandbox and saves it in the store (as the operator's authorisation would). */
  seedTokens(): Promise<{ accessToken: string; refreshToken: string }>;
  close(): Promise<void>;
}

export async function startHarness(sandboxOptions: StartDrChronoSandboxOptions = {}): Promise<Harness> {
  const time = fakeTime();
  const sandbox = await startDrChronoSandbox({ patientCount: 30, clock: time.clock, ...sandboxOptions });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'drchrono-client-'));
  const tokenFile = path.join(dir, 'token.json');
  const store = new FileTokenStore(tokenFile);
  const { logger, lines } = memoryLogger();
  return {
    time,
    sandbox,
    tokenFile,
    store,
    logs: lines,
    logger,
    instance: (sql, overrides = {}) =>
      createDrChronoClientFromConfig({
        baseUrl: sandbox.url,
        clientId: DEFAULT_CLIENT.clientId,
        clientSecret: DEFAULT_CLIENT.clientSecret,
        // Each instance reads the same file through its own store object, like two processes would.
        tokenStore: `file:${tokenFile}`,
        sql,
        logger,
        clock: time.clock,
        sleep: time.sleep,
        client: { retryMinDelayMs: 1, retryMaxDelayMs: 5 },
        ...overrides,
      }),
    async seedTokens() {
      const issued = sandbox.control.issueTokenPair();
      const pair = {
        accessToken: issued.access_token,
        refreshToken: issued.refresh_token,
        expiresAt: new Date(time.clock() + issued.expires_in * 1000),
      };
      await store.save(pair);
      return pair;
    },
    async close() {
      await sandbox.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Walks every page and returns the record ids in order. */
export async function walkIds(
  pages: AsyncIterable<{ results: Array<{ id: string | number }> }>,
  onPage?: (n: number) => void,
): Promise<string[]> {
  const ids: string[] = [];
  let n = 0;
  for await (const page of pages) {
    n += 1;
    ids.push(...page.results.map((r) => String(r.id)));
    onPage?.(n);
  }
  return ids;
}

export interface AccessLogRow {
  service: string;
  method: string;
  path_template: string;
  status: number | null;
  duration_ms: number;
  record_count: number | null;
  error_class: string | null;
  request_id: string | null;
}

export const accessLogRows = (sql: Sql) =>
  sql<
    AccessLogRow[]
  >`SELECT service, method, path_template, status, duration_ms, record_count, error_class, request_id FROM access_log ORDER BY id`;
