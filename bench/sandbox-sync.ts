import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Sql } from 'postgres';
import { DEFAULT_CLIENT, startDrChronoSandbox, type RunningDrChronoSandbox } from '../sandbox/drchrono/index.js';
import { createDrChronoClientFromConfig } from '../sync/drchrono/config.js';
import type { DrChronoClient } from '../sync/drchrono/types.js';
import type { SyncDeps } from '../sync/drchrono/sync.js';
import { FileTokenStore } from '../sync/drchrono/token-store.js';
import { createLogger, type Logger } from '../sync/observability/logger.js';
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
      const { client, logger } = await benchDrChronoClient({
        baseUrl: sandbox.url,
        pair: sandbox.control.issueTokenPair(),
        sql,
        tokenPath: path.join(dir, 'token.json'),
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

/** What the DrChrono sandbox's token endpoint issues. */
interface TokenPair {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly expires_in: number;
}

/**
 * The real DrChrono client as a bench uses it: tokens saved to `tokenPath`, an unlimited call budget (benches count
 * calls, they do not ration them), a silent logger, and the sandbox's clock when it has one.
 */
export async function benchDrChronoClient(options: {
  baseUrl: string;
  pair: TokenPair;
  sql: Sql;
  tokenPath: string;
  clock?: () => number;
}): Promise<{ client: DrChronoClient; logger: Logger }> {
  const { pair, clock } = options;
  const store = new FileTokenStore(options.tokenPath);
  await store.save({
    accessToken: pair.access_token,
    refreshToken: pair.refresh_token,
    expiresAt: new Date((clock?.() ?? Date.now()) + pair.expires_in * 1000),
  });
  const logger = createLogger({ service: 'bench', level: 'silent' });
  const { client } = createDrChronoClientFromConfig({
    baseUrl: options.baseUrl,
    clientId: DEFAULT_CLIENT.clientId,
    clientSecret: DEFAULT_CLIENT.clientSecret,
    tokenStore: store,
    sql: options.sql,
    logger,
    ...(clock && { clock }),
    budget: { hourlyLimit: 1_000_000_000 },
  });
  return { client, logger };
}

/**
 * A DrChrono sandbox of `patients` patients in its own process (bench/sandbox-process.ts), so a bench measures the
 * sync's CPU and memory, not the stand-in's. Kill `child` when done.
 */
export async function spawnSandboxProcess(
  patients: number,
): Promise<{ child: ChildProcess; url: string; pair: TokenPair }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'sandbox-process.ts'), String(patients)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const { url, pair } = JSON.parse(line) as { url: string; pair: TokenPair };
  return { child, url, pair };
}
