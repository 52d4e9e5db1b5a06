import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startLocalCoda } from '../cli/local/coda.js';
import { buildService } from '../cli/services.js';
import { listen } from '../handlers/server.js';
import { createSyntheticDataset } from '../sandbox/synthetic/index.js';
import { mapRecords } from '../sync/drchrono/mappers.js';
import type { DrChronoRecord } from '../sync/drchrono/types.js';
import { mirrors } from '../sync/mirrors.js';
import { upsertRows } from '../sync/upsert.js';
import { round, withBenchDatabase, type BenchResult } from './harness.js';

const PATIENTS = Number(process.env.BENCH_PUSH_PATIENTS ?? 50_000);
const FRESHNESS_SAMPLES = Number(process.env.BENCH_FRESHNESS_SAMPLES ?? 20);
const APPLY_DELAY_MS = 2_000;
const TZ = 'America/New_York';

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/**
 * (1) 50k changed patients pushed from the outbox through coda-push into the Coda sandbox (real 10 writes / 6 s limit,
 * 2 s apply delay): rows per upsertRows call and the peak write rate. (2) Freshness: signed webhooks → drchrono-sync
 * → outbox relay → coda-push → row applied in Coda, p50/p95.
 */
export async function benchCodaPush(): Promise<BenchResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-coda-'));
  const coda = await startLocalCoda(dir, { applyDelayMs: APPLY_DELAY_MS });
  try {
    return await withBenchDatabase(async ({ url, sql }) => {
      const secret = randomBytes(24).toString('hex');
      const env = {
        DATABASE_URL: url,
        LOG_LEVEL: 'silent',
        ...coda.env,
        PUSH_AUTH: 'none',
        DRCHRONO_CLIENT_ID: 'bench',
        DRCHRONO_CLIENT_SECRET: 'bench',
        DRCHRONO_TOKEN_STORE: 'file:/nonexistent/token.json',
        DRCHRONO_WEBHOOK_SECRET: secret,
        DEEPCURA_KEY: randomBytes(32).toString('base64'),
        AUTH_OIDC_AUDIENCE: 'http://bench',
        AUTH_OIDC_ALLOWED_EMAILS: 'bench@example.invalid',
        EVENT_BUS: 'http',
      };
      const codaPush = await buildService('coda-push', env);
      const codaPushServer = await listen(codaPush.app, { port: 0 });
      const drchronoSync = await buildService('drchrono-sync', {
        ...env,
        PUSH_ENDPOINT: `${codaPushServer.url}/pubsub/push`,
      });
      const drchronoServer = await listen(drchronoSync.app, { port: 0 });
      try {
        // (1) Bulk: the outbox already holds 50k patient changes when the relay drains (as after a full sync).
        const dataset = createSyntheticDataset({ seed: 3, patientCount: PATIENTS });
        for (let i = 0; i < PATIENTS; i += 1000) {
          const page = Array.from(
            { length: Math.min(1000, PATIENTS - i) },
            (_, k) => dataset.patient(i + k) as DrChronoRecord,
          );
          await upsertRows(sql, mirrors.patients, mapRecords('patients', page, { timeZone: TZ }).patients!, {
            actor: 'bench',
          });
        }
        coda.sandbox.control.resetStats();
        const started = performance.now();
        let drained = { published: 0, messages: 0, failed: 0 };
        while (drained.published < PATIENTS) {
          const pass = await drchronoSync.relay!.drain();
          drained = {
            published: drained.published + pass.published,
            messages: drained.messages + pass.messages,
            failed: drained.failed + pass.failed,
          };
          if (pass.published === 0 && pass.failed === 0) break;
        }
        const pushSeconds = (performance.now() - started) / 1000;
        const stats = coda.sandbox.control.stats();
        const mapping = JSON.parse(await readFile(coda.env.CODA_MAPPING!, 'utf8')) as {
          tables: Record<string, { tableId: string; keyColumn: string }>;
        };
        const codaPatients = coda.sandbox.control.rows(mapping.tables['patients']!.tableId).length;

        // (2) Freshness, with the relay live (LISTEN/NOTIFY), one webhook at a time.
        await drchronoSync.start();
        const allergies = mapping.tables['allergies']!;
        const latencies: number[] = [];
        for (let n = 0; n < FRESHNESS_SAMPLES; n++) {
          const id = 90_000_000 + n;
          const body = JSON.stringify({
            receiver: { id: 1 },
            object: {
              id,
              patient: 1_000_000 + n,
              description: 'Bench allergen',
              reaction: 'Rash',
              status: 'active',
              updated_at: '2026-06-01T10:00:00',
            },
          });
          const sent = performance.now();
          const res = await fetch(`${drchronoServer.url}/webhooks/drchrono`, {
            method: 'POST',
            body,
            headers: {
              'content-type': 'application/json',
              'x-drchrono-event': 'PATIENT_ALLERGY_CREATE',
              'x-drchrono-delivery': `fresh-${n}`,
              'x-drchrono-signature': createHmac('sha256', secret).update(body).digest('hex'),
            },
          });
          if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
          const deadline = sent + 60_000;
          while (
            !coda.sandbox.control
              .rows(allergies.tableId)
              .some((r) => String(r.values[allergies.keyColumn]) === String(id))
          ) {
            if (performance.now() > deadline) throw new Error('a webhook change never reached Coda');
            await new Promise((r) => setTimeout(r, 20));
          }
          latencies.push(performance.now() - sent);
        }
        latencies.sort((a, b) => a - b);
        const upserts = stats.rowsPerUpsert;
        return {
          name: `push to Coda sandbox (${PATIENTS} patients, 10 writes / 6 s, apply delay ${APPLY_DELAY_MS} ms) and webhook → Coda freshness`,
          figures: {
            push_seconds: round(pushSeconds, 1),
            rows_in_coda: codaPatients,
            messages: drained.messages,
            upsert_calls: upserts.length,
            avg_rows_per_upsert: round(upserts.reduce((a, b) => a + b, 0) / Math.max(1, upserts.length), 1),
            goal_avg_rows: '>= 450',
            peak_writes_per_6s: coda.sandbox.control.peakWritesPerWindow(6_000),
            limit_writes_per_6s: 10,
            freshness_p50_ms: round(pct(latencies, 50)),
            freshness_p95_ms: round(pct(latencies, 95)),
            freshness_max_ms: round(latencies.at(-1) ?? NaN),
            goal_freshness_p95_ms: '< 10000',
            ratio_p95_to_apply_delay: round(pct(latencies, 95) / APPLY_DELAY_MS, 2),
          },
        };
      } finally {
        await drchronoServer.close();
        await drchronoSync.close();
        await codaPushServer.close();
        await codaPush.close();
      }
    });
  } finally {
    await coda.sandbox.close();
    await rm(dir, { recursive: true, force: true });
  }
}
