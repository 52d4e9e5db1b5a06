import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT, startDrChronoSandbox, type RunningDrChronoSandbox } from '../../sandbox/drchrono/index.js';
import { FileTokenStore } from '../../sync/drchrono/token-store.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';

const root = path.resolve(import.meta.dirname, '../..');
const PATIENTS = 3000;
let t: TestDatabase;
let sandbox: RunningDrChronoSandbox;
let dir: string;

beforeAll(async () => {
  t = await createTestDatabase();
  sandbox = await startDrChronoSandbox({ patientCount: PATIENTS, seed: 5 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'sync-kill-'));
  const pair = sandbox.control.issueTokenPair();
  await new FileTokenStore(path.join(dir, 'token.json')).save({
    accessToken: pair.access_token,
    refreshToken: pair.refresh_token,
    expiresAt: new Date(Date.now() + pair.expires_in * 1000),
  });
});
afterAll(async () => {
  await sandbox.close();
  await t.drop();
  await rm(dir, { recursive: true, force: true });
});

function runSync() {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'sync', 'patients', '--full'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DATABASE_URL: t.url,
      DRCHRONO_BASE_URL: sandbox.url,
      DRCHRONO_CLIENT_ID: DEFAULT_CLIENT.clientId,
      DRCHRONO_CLIENT_SECRET: DEFAULT_CLIENT.clientSecret,
      DRCHRONO_TOKEN_STORE: `file:${path.join(dir, 'token.json')}`,
      LOG_LEVEL: 'silent',
    },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ? -1 : code)),
  );
  return { child, exited, stderr: () => stderr };
}

const count = async (sqlText: string) => Number((await t.sql.unsafe(sqlText))[0]!.n);

describe('a full sync killed mid-run (SIGKILL) and run again', () => {
  it('ends with every patient exactly once, one insert event each, and the dead run marked Interrupted', async () => {
    sandbox.control.setLatencyMs(250);
    const first = runSync();
    const deadline = Date.now() + 60_000;
    while ((await count(`SELECT count(*) AS n FROM patients WHERE source_updated_at IS NOT NULL`)) < 500) {
      if (Date.now() > deadline) throw new Error(`first run made no progress: ${first.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe(-1);
    const partial = await count(`SELECT count(*) AS n FROM patients WHERE source_updated_at IS NOT NULL`);
    expect(partial).toBeGreaterThanOrEqual(500);
    expect(partial).toBeLessThan(PATIENTS);
    expect(await count(`SELECT count(*) AS n FROM sync_log WHERE resource = 'patients' AND status = 'running'`)).toBe(
      1,
    );

    sandbox.control.setLatencyMs(0);
    const second = runSync();
    expect(await second.exited, second.stderr()).toBe(0);

    expect(await count(`SELECT count(*) AS n FROM patients WHERE source_updated_at IS NOT NULL`)).toBe(PATIENTS);
    expect(
      await count(
        `SELECT count(DISTINCT drchrono_id) AS n FROM patients WHERE drchrono_id::bigint BETWEEN 1000000 AND ${1_000_000 + PATIENTS - 1}`,
      ),
    ).toBe(PATIENTS);
    expect(await count(`SELECT count(*) AS n FROM outbox WHERE table_name = 'patients'`)).toBe(PATIENTS);
    expect(await count(`SELECT count(*) AS n FROM change_log WHERE table_name = 'patients' AND op = 'INSERT'`)).toBe(
      PATIENTS,
    );
    const logs = await t.sql`SELECT status, error_class FROM sync_log WHERE resource = 'patients' ORDER BY id`;
    expect(logs.map((l) => [l.status, l.error_class])).toEqual([
      ['failed', 'Interrupted'],
      ['succeeded', null],
    ]);
  });
});
