import { createCipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepcuraWebhookRoutes } from '../../../handlers/drchrono-sync/deepcura.js';
import {
  HOSTILE_RUNS,
  HOSTILE_SEED,
  hostileFields,
  hostileJson,
  hostileString,
  hostileValue,
  MARKER,
} from '../../harness/hostile.js';
import { routeTestbed } from '../../harness/route-testbed.js';

// Property: an authentic Gridhook (correct key, fresh sent_at) whose plaintext has hostile values in any field is
// answered 200 (stored or unchanged, the delivery recorded) or 400 naming fields (nothing written) — never 5xx —
// and no input value reaches a log line or an answer. 401 only when the hostile field is sent_at itself.
// Seed and path are printed on failure (replay with FC_SEED); endOnFailure as in the DrChrono property.

const key = randomBytes(32);
const now = new Date('2025-03-01T17:00:00Z');

const bed = routeTestbed(
  ({ sql, logger }) => deepcuraWebhookRoutes({ sql, logger, key, clock: () => now.getTime() }),
  (t) => t.sql`INSERT INTO patients (drchrono_id, raw) VALUES ('p-1', '{}')`,
);

function seal(plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return JSON.stringify({
    v: 1,
    iv: iv.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  });
}

const base = {
  note_id: '',
  appointment_id: null,
  patient_id: 'p-1',
  visit_date: '2025-03-01',
  transcript: 'Synthetic transcript.',
  soap: { subjective: 's', objective: 'o', assessment: 'a', plan: 'p' },
  icd10_suggestions: [{ code: 'F41.1', description: 'd', confidence: 0.5 }],
  cpt_suggestions: ['99213'],
  medication_mentions: [{ name: 'placebo' }],
  risk_assessment: { level: 'low', factors: ['f'] },
  created_at: '2025-03-01T16:00:00Z',
  sent_at: now.toISOString(),
};
// Three in four runs put hostile strings in every free-text field (these must be stored), one in four puts any
// hostile value in any field, ids and dates included (these are mostly refused with 400).
const inText = fc
  .record({
    transcript: hostileString,
    soap: fc.record({
      subjective: hostileString,
      objective: hostileString,
      assessment: hostileString,
      plan: hostileString,
    }),
    icd10_suggestions: fc.array(fc.record({ code: fc.constant('F41.1'), description: hostileString }), {
      maxLength: 3,
    }),
    medication_mentions: fc.array(fc.oneof(hostileString, fc.record({ name: hostileString })), { maxLength: 2 }),
    risk_assessment: fc.record({ level: fc.constant('low'), factors: fc.array(hostileString, { maxLength: 3 }) }),
    vendor_extra: fc.oneof(hostileValue, fc.dictionary(hostileString, hostileValue, { maxKeys: 2 })),
  })
  .map((text): Record<string, unknown> => ({ ...base, ...text }));
const anywhere = fc
  .tuple(
    hostileFields(base, Object.keys(base)),
    fc.option(hostileFields(base.soap, Object.keys(base.soap)), { freq: 2 }),
  )
  .map(([p, soap]): Record<string, unknown> => ({ ...p, ...(soap && { soap }) }));
const payload = fc.oneof({ weight: 3, arbitrary: inText }, { weight: 1, arbitrary: anywhere });

const deliveries = async () => Number((await bed.t.sql`SELECT count(*) AS n FROM webhook_deliveries`)[0]!.n);
const notes = async () => Number((await bed.t.sql`SELECT count(*) AS n FROM deepcura_notes`)[0]!.n);

describe('Deep Cura Gridhook under hostile input (property)', () => {
  it(
    `answers 200 (stored) or 400 (nothing written), never 5xx, and logs no input value — ${HOSTILE_RUNS} runs`,
    { timeout: 300_000 },
    async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(payload, async (p) => {
          const note = p['note_id'] === '' ? { ...p, note_id: `dc-prop-${++n}` } : p;
          const before = { deliveries: await deliveries(), notes: await notes() };
          const logStart = bed.logs.lines().length;
          const res = await bed.app.request('/webhooks/deepcura', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: seal(hostileJson(note)),
          });
          const answer = await res.text();
          const allowed = note['sent_at'] === base.sent_at ? [200, 400, 413] : [200, 400, 401, 413];
          expect(allowed, `status ${res.status}: ${answer}`).toContain(res.status);
          if (res.status === 200) {
            const status = (JSON.parse(answer) as { status: string }).status;
            expect(['stored', 'unchanged', 'duplicate']).toContain(status);
            if (status !== 'duplicate') expect(await deliveries()).toBe(before.deliveries + 1);
            if (status === 'stored') expect(await notes()).toBeGreaterThanOrEqual(before.notes);
          } else {
            expect(await deliveries()).toBe(before.deliveries);
            expect(await notes()).toBe(before.notes);
          }
          expect(bed.logs.lines().slice(logStart).join('\n')).not.toMatch(MARKER);
          expect(answer).not.toMatch(MARKER);
        }),
        { numRuns: HOSTILE_RUNS, seed: HOSTILE_SEED, endOnFailure: true },
      );
    },
  );
});
