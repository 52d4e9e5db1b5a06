import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { freePort } from '../cli/local/postgres.js';
import { createSyntheticDataset } from '../sandbox/synthetic/index.js';
import { round, withBenchDatabase, type BenchResult } from './harness.js';

const RATE = Number(process.env.BENCH_WEBHOOK_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_WEBHOOK_SECONDS ?? 15);
// autocannon paces each connection at rate / connections and sends a connection's requests together each tick, so
// many connections turn a steady rate into bursts of that size. 4 keeps 200 req/s close to steady arrivals; set
// BENCH_WEBHOOK_CONNECTIONS=20 to see the service absorb bursts of 20 at once.
const CONNECTIONS = Number(process.env.BENCH_WEBHOOK_CONNECTIONS ?? 4);
const SECRET = randomBytes(24).toString('hex');
const root = path.resolve(import.meta.dirname, '..');

async function waitHealthy(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ok = await fetch(url).then(
      (r) => r.status < 500,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never became ready`);
}

interface Load {
  p50: number;
  p95: number;
  p99: number;
  reqPerSec: number;
  non2xx: number;
  errors: number;
}

/** Runs autocannon at a fixed overall rate with a fresh, signed PATIENT_MODIFY delivery per request. */
async function load(url: string): Promise<Load> {
  const dataset = createSyntheticDataset({ seed: 9, patientCount: 2000 });
  let n = 0;
  const latencies: number[] = [];
  const options: autocannon.Options = {
    url,
    connections: CONNECTIONS,
    overallRate: RATE,
    duration: SECONDS,
    requests: [
      {
        method: 'POST',
        path: '/webhooks/drchrono',
        setupRequest: (req) => {
          n++;
          const patient = {
            ...dataset.patient(n % 2000),
            updated_at: new Date(Date.UTC(2026, 5, 1) + n * 1000).toISOString().slice(0, 19),
          };
          const body = JSON.stringify({ receiver: { id: 1 }, object: patient });
          return {
            ...req,
            body,
            headers: {
              'content-type': 'application/json',
              'x-drchrono-event': 'PATIENT_MODIFY',
              'x-drchrono-delivery': `bench-${process.pid}-${n}`,
              'x-drchrono-signature': createHmac('sha256', SECRET).update(body).digest('hex'),
            },
          };
        },
      },
    ],
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (error, done) => (error ? reject(error) : resolve(done)));
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  return {
    p50: pct(50),
    p95: pct(95),
    p99: pct(99),
    reqPerSec: result.requests.average,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

function start(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** Webhook deliveries at a fixed rate against `platform serve drchrono-sync` (real PG16) vs a bare Hono route. */
export async function benchWebhookLoad(): Promise<BenchResult> {
  return withBenchDatabase(async ({ url: databaseUrl }) => {
    const port = await freePort();
    const barePort = await freePort();
    const bare = start(['bench/bare-hono.ts', String(barePort)], {});
    const service = start(['cli/main.ts', 'serve', 'drchrono-sync'], {
      EVENT_BUS: 'http',
      PUSH_ENDPOINT: `http://127.0.0.1:${barePort}/pubsub/push`,
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'warn',
      DB_POOL_MAX: '10',
      DRCHRONO_CLIENT_ID: 'bench',
      DRCHRONO_CLIENT_SECRET: 'bench',
      DRCHRONO_TOKEN_STORE: 'file:/nonexistent/token.json',
      DRCHRONO_WEBHOOK_SECRET: SECRET,
      DEEPCURA_KEY: randomBytes(32).toString('base64'),
      AUTH_OIDC_AUDIENCE: 'http://bench',
      AUTH_OIDC_ALLOWED_EMAILS: 'bench@example.invalid',
    });
    try {
      await waitHealthy(`http://127.0.0.1:${port}/health`, service);
      await once(createInterface({ input: bare.stdout! }), 'line');
      const ours = await load(`http://127.0.0.1:${port}`);
      const yardstick = await load(`http://127.0.0.1:${barePort}`);
      return {
        name: `webhook load (${RATE} req/s for ${SECONDS} s over ${CONNECTIONS} connections, signed PATIENT_MODIFY) vs bare Hono route`,
        figures: {
          p50_ms: ours.p50,
          p95_ms: ours.p95,
          p99_ms: ours.p99,
          req_per_s: round(ours.reqPerSec, 1),
          non_2xx: ours.non2xx,
          errors: ours.errors,
          bare_p50_ms: yardstick.p50,
          bare_p95_ms: yardstick.p95,
          bare_p99_ms: yardstick.p99,
          bare_req_per_s: round(yardstick.reqPerSec, 1),
          p95_ratio_to_bare: round(ours.p95 / Math.max(1, yardstick.p95), 2),
          goal: 'p95 <= 50 ms at 200 req/s',
        },
      };
    } finally {
      service.kill('SIGTERM');
      bare.kill('SIGTERM');
    }
  });
}
