import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { drchronoWebhookRoutes } from '../../../handlers/drchrono-sync/drchrono-webhook.js';
import { HOSTILE_RUNS, HOSTILE_SEED, hostileFields, hostileJson, MARKER } from '../../harness/hostile.js';
import { routeTestbed } from '../../harness/route-testbed.js';

// Property: a signed DrChrono delivery of any handled event, with hostile values in any field, is answered 200
// (stored, the delivery recorded) or 400 (nothing written) — never 5xx — and no input value reaches a log line.
// (413 when the long strings add up past the 1 MiB body cap: also nothing written.) On failure fast-check prints
// the seed and path; replay with FC_SEED=<seed>. endOnFailure: shrinking through a database is slow enough to hit
// the test timeout and hide the counterexample, so the first failing input is reported as generated.

const SECRET = 'test-webhook-secret';
const TZ = 'America/New_York';

const bed = routeTestbed(({ sql, logger }) => drchronoWebhookRoutes({ sql, logger, timeZone: TZ, secret: SECRET }));

const V = { updated_at: '2026-05-01T10:00:00' };
const resources = [
  {
    event: 'PATIENT_MODIFY',
    table: 'patients',
    base: {
      ...V,
      first_name: 'Ann',
      last_name: 'Lee',
      middle_name: 'Q',
      doctor: 7,
      date_of_birth: '1970-01-01',
      patient_status: 'A',
      gender: 'Female',
      email: 'a@example.invalid',
      cell_phone: '555',
      address: '1 Main',
      city: 'X',
      state: 'NY',
      zip_code: '10001',
      chart_id: 'C1',
      date_of_first_appointment: '2020-01-01',
      primary_insurance: {
        insurance_company: 'Acme',
        insurance_id_number: 'M1',
        subscriber_date_of_birth: '1970-01-01',
        insurance_group_number: 'G',
      },
    },
  },
  {
    event: 'APPOINTMENT_MODIFY',
    table: 'appointments',
    base: {
      ...V,
      patient: 1,
      doctor: 7,
      office: 3,
      exam_room: 2,
      scheduled_time: '2026-05-02T09:00:00',
      duration: 30,
      status: 'Arrived',
      billing_status: 'Billed',
      reason: 'Visit',
      deleted_flag: false,
      clinical_note: { locked: true },
    },
  },
  {
    event: 'CLINICAL_NOTE_LOCK',
    table: 'clinical_notes',
    base: {
      ...V,
      appointment: 9,
      patient: 1,
      doctor: 7,
      locked: true,
      signee: { locked_by: 'dr' },
      clinical_note_sections: [{ name: 'S', values: [{ value: 'v' }] }],
    },
  },
  {
    event: 'PATIENT_MEDICATION_MODIFY',
    table: 'medications',
    base: {
      ...V,
      patient: 1,
      doctor: 7,
      name: 'Med',
      rxnorm: '1',
      ndc: '2',
      dosage_quantity: '5',
      dosage_units: 'mg',
      frequency: 'daily',
      route: 'oral',
      status: 'active',
      date_prescribed: '2026-01-01',
      date_started_taking: '2026-01-02',
      date_stopped_taking: '2026-03-01',
    },
  },
  {
    event: 'PATIENT_PROBLEM_MODIFY',
    table: 'problems',
    base: {
      ...V,
      patient: 1,
      doctor: 7,
      name: 'Anxiety',
      icd_code: 'F41.1',
      icd_version: 10,
      status: 'active',
      date_diagnosis: '2026-01-01',
      date_onset: '2025-12-01',
      date_changed: '2026-02-01',
    },
  },
  {
    event: 'PATIENT_ALLERGY_MODIFY',
    table: 'allergies',
    base: {
      ...V,
      patient: 1,
      doctor: 7,
      description: 'Peanuts',
      reaction: 'Hives',
      status: 'active',
      snomed_reaction: '1',
      notes: 'n',
    },
  },
] as const;

let nextId = 1_000;
const delivery = fc.oneof(
  ...resources.map((r) =>
    hostileFields({ id: 0, ...r.base }, ['id', ...Object.keys(r.base)]).map((object) => ({
      event: r.event,
      table: r.table,
      object,
    })),
  ),
);

const count = async (table: string) => Number((await bed.t.sql.unsafe(`SELECT count(*) AS n FROM ${table}`))[0]!.n);

describe('DrChrono webhook under hostile input (property)', () => {
  it(
    `answers 200 (stored) or 400 (nothing written), never 5xx, and logs no input value — ${HOSTILE_RUNS} runs`,
    { timeout: 300_000 },
    async () => {
      let deliveryNo = 0;
      await fc.assert(
        fc.asyncProperty(delivery, async ({ event, table, object }) => {
          // A fresh id unless the id itself is the hostile field, so runs do not mask each other.
          const body = { receiver: {}, object: object['id'] === 0 ? { ...object, id: ++nextId } : object };
          const deliveryId = `prop-${++deliveryNo}`;
          const before = { outbox: await count('outbox'), changes: await count('change_log') };
          const logStart = bed.logs.lines().length;
          const res = await bed.app.request('/webhooks/drchrono', {
            method: 'POST',
            headers: {
              'Content-Type': 'application/json',
              'X-drchrono-event': event,
              'X-drchrono-delivery': deliveryId,
              'X-drchrono-signature': SECRET,
            },
            body: hostileJson(body),
          });
          const answer = await res.text();
          expect([200, 400, 413], `status ${res.status}: ${answer}`).toContain(res.status);
          const recorded = await bed.t
            .sql`SELECT status FROM webhook_deliveries WHERE source = 'drchrono' AND delivery_id = ${deliveryId}`;
          if (res.status !== 200) {
            expect(recorded).toHaveLength(0);
            expect(await count('outbox')).toBe(before.outbox);
            expect(await count('change_log')).toBe(before.changes);
            if (res.status === 400) expect(answer).toMatch(/invalid field: (object|receiver|\(root\))/);
          } else {
            expect(recorded).toEqual([{ status: 'applied' }]);
            const locked = table !== 'clinical_notes' || body.object['locked'] === true;
            if (locked) {
              const stored = await bed.t.sql.unsafe(`SELECT 1 FROM ${table} WHERE drchrono_id = $1`, [
                String(body.object['id']),
              ]);
              expect(stored).toHaveLength(1);
            }
          }
          const logged = bed.logs.lines().slice(logStart).join('\n');
          expect(logged).not.toMatch(MARKER);
          expect(answer).not.toMatch(MARKER);
        }),
        { numRuns: HOSTILE_RUNS, seed: HOSTILE_SEED, endOnFailure: true },
      );
    },
  );
});
