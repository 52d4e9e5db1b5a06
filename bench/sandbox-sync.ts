import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_CLIENT, startDrChronoSandbox, type RunningDrChronoSandbox } from '../sandbox/drchrono/index.js';
import { createDrChronoClientFromConfig } from '../sync/drchrono/config.js';
import type { SyncDeps } from '../sync/drchrono/sync.js';
import { FileTokenStore } from '../sync/drchrono/token-store.js';
import { createLogger } from '../sync/observability/logger.js';
import { withBenchDatabase } from './harness.js';

/**
 * The sandbox's zone-less timestamps are UTC wall-clock time, while the sync reads them in the practice zone. The
 * benches run the sync in UTC so `since` windows line up exactly, and call counts are not inflated by a five-hour
 * overlap that real DrChrono, writing practice-local times, would not have.
 */
export const BENCH_TIME_ZONE = 'UTC';

export interface SandboxSync {
  readonly sandbox: RunningDrChronoSandbox;
  readonly deps: SyncDeps;
  /** Moves the clock the sandbox and the sync share. */
  advance(ms: number): void;
}

/**
 * An in-process DrChrono sandbox of `patients` patients and a fresh migrated PostgreSQL 16, wired to the real sync
 * with an unlimited call budget and one fake clock, for benches that count calls or rows. Cleans up after `work`.
 */
export async function withSandboxSync<T>(
  options: { patients: number; seed: number; startMs: number },
  work: (ctx: SandboxSync) => Promise<T>,
): Promise<T> {
  let now = options.startMs;
  const clock = () => now;
  const sandbox = await startDrChronoSandbox({
    patientCount: options.patients,
    seed: options.seed,
    clock,
    hourlyCallBudget: 1e9,
  });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-sandbox-sync-'));
  try {
    return await withBenchDatabase(async ({ sql }) => {
      const pair = sandbox.control.issueTokenPair();
      const store = new FileTokenStore(path.join(dir, 'token.json'));
      await store.save({
        accessToken: pair.access_token,
        refreshToken: pair.refresh_token,
        expiresAt: new Date(now + pair.expires_in * 1000),
      });
      const logger = createLogger({ service: 'bench', level: 'silent' });
      const { client } = createDrChronoClientFromConfig({
        baseUrl: sandbox.url,
        clientId: DEFAULT_CLIENT.clientId,
        clientSecret: DEFAULT_CLIENT.clientSecret,
        tokenStore: store,
        sql,
        logger,
        budget: { hourlyLimit: 1_000_000_000 },
        clock,
      });
      const deps: SyncDeps = { sql, client, logger, timeZone: BENCH_TIME_ZONE, clock };
      return await work({ sandbox, deps, advance: (ms) => (now += ms) });
    });
  } finally {
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  }
}
