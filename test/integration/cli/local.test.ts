import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'platform-local-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function startLocal(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'local', ...args], {
    cwd: root,
    env: {
      ...process.env,
      LOCAL_DIR: dir,
      LOCAL_PG_PORT: '0',
      DRCHRONO_SYNC_PORT: '0',
      CODA_PUSH_PORT: '0',
      LOCAL_PATIENTS: '30',
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => stdout, errors: () => stderr };
}

describe('platform local (npm start)', () => {
  it('with --once boots Postgres 16, migrates, starts both services, runs the full sync, prints the summary and exits 0', async () => {
    const run = startLocal(['--once']);
    expect(await run.exited, run.errors()).toBe(0);
    expect(run.output()).toMatch(/PostgreSQL 16 ready/);
    expect(run.output()).toMatch(/patients\s+30 read/);
    expect(run.output(), 'rows in DrChrono, Postgres and Coda agree').toMatch(/^patients\s+30\s+30\s+30\s/m);
    expect(run.output()).toMatch(/^appointments\s+(\d+)\s+\1\s+\1\s/m);
    expect(run.output()).toMatch(/Change events: \d+ outbox rows published, 0 pending/);
    expect(run.output()).toMatch(/DrChrono API calls used this hour: \d+ of 500/);
    expect(run.output()).toMatch(/curl -sS -X POST http:\/\/127\.0\.0\.1:\d+\/webhooks\/drchrono/);
    expect(run.output()).toMatch(/drchrono-sync\s+http:\/\/127\.0\.0\.1:\d+\s+\(GET \/health → 200\)/);
    expect(run.output()).toMatch(/coda-push\s+http:\/\/127\.0\.0\.1:\d+\s+\(GET \/health → 200\)/);
  });

  it('keeps serving until Ctrl-C, then stops the services and Postgres and exits 0, reusing the data of the first run', async () => {
    const run = startLocal([]);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready: ${run.output()} ${run.errors()}`)), 60_000);
      run.child.stdout.on('data', () => run.output().includes('Press Ctrl-C') && (clearTimeout(timer), resolve()));
    });
    const url = /drchrono-sync\s+(http:\/\/\S+)/.exec(run.output())![1]!;
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const pgPort = Number(/127\.0\.0\.1:(\d+)\/platform/.exec(run.output())![1]);
    expect(run.output(), 'second run re-reads the same synthetic data: nothing changes').toMatch(
      /patients\s+30 read\s+0 changed/,
    );
    // The printed webhook command works as printed.
    const header = (name: string) => new RegExp(`-H '${name}: ([^']+)'`).exec(run.output())![1]!;
    const body = /--data '([^']+)'/.exec(run.output())![1]!;
    const sent = await fetch(`${url}/webhooks/drchrono`, {
      method: 'POST',
      body,
      headers: {
        'Content-Type': 'application/json',
        'X-drchrono-event': header('X-drchrono-event'),
        'X-drchrono-delivery': header('X-drchrono-delivery'),
        'X-drchrono-signature': header('X-drchrono-signature'),
      },
    });
    expect(sent.status).toBe(200);
    // … and the live chain carries it on: its outbox row is published once coda-push has Coda's confirmation.
    const pg = postgres(`postgres://postgres:postgres@127.0.0.1:${pgPort}/platform`, { max: 1, onnotice: () => {} });
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const [row] =
          await pg`SELECT count(*)::int AS n FROM outbox WHERE table_name = 'patients' AND drchrono_id = '1000001' AND published_at IS NULL`;
        const [changed] = await pg`SELECT first_name FROM patients WHERE drchrono_id = '1000001'`;
        if (row!.n === 0 && changed!.first_name === 'Webhook') break;
        if (Date.now() > deadline) throw new Error('the webhook change never left the outbox');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await pg.end();
    }
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    // Postgres is gone too: nothing accepts connections on its port any more.
    const connected = await new Promise<boolean>((resolve) => {
      const socket = connect(pgPort, '127.0.0.1', () => (socket.destroy(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    expect(connected).toBe(false);
  });
});
