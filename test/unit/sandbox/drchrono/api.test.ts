import { describe, expect, it } from 'vitest';
import { createDrChronoSandbox, listCursorForSlot } from '../../../../sandbox/drchrono/index.js';
import type { ResourceName } from '../../../../sandbox/drchrono/index.js';
import { createSyntheticDataset } from '../../../../sandbox/synthetic/index.js';
import type { SyntheticDataset } from '../../../../sandbox/synthetic/index.js';
import { drchronoDefaultPageSize, drchronoPageCaps } from '../../../../sync/drchrono/list-params.js';
import { sandboxWithClock, walk } from './helpers.js';

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

describe('DrChrono sandbox lists', () => {
  const cases: Array<{ resource: ResourceName; query: string; cap: number }> = [
    { resource: 'patients', query: '', cap: drchronoPageCaps.patients.max },
    { resource: 'patients', query: 'verbose=true', cap: drchronoPageCaps.patients.verboseMax },
    { resource: 'appointments', query: 'since=2000-01-01', cap: drchronoPageCaps.appointments.max },
    { resource: 'appointments', query: 'since=2000-01-01&verbose=true', cap: drchronoPageCaps.appointments.verboseMax },
    { resource: 'clinical_notes', query: '', cap: drchronoPageCaps.clinical_notes.max },
    { resource: 'medications', query: '', cap: drchronoPageCaps.medications.max },
    { resource: 'problems', query: 'verbose=true', cap: drchronoPageCaps.problems.verboseMax },
    { resource: 'allergies', query: '', cap: drchronoPageCaps.allergies.max },
    { resource: 'allergies', query: 'verbose=true', cap: drchronoPageCaps.allergies.verboseMax },
    { resource: 'doctors', query: '', cap: drchronoPageCaps.doctors.max },
  ];
  for (const { resource, query, cap } of cases) {
    it(`walks every ${resource} record exactly once at the page size cap of ${cap} (${query || 'no filter'})`, async () => {
      const s = sandboxWithClock({ patientCount: 600 });
      const pages = await walk(s.get, `http://sandbox.test/api/${resource}?page_size=1000${query ? `&${query}` : ''}`);
      const ids = pages.flatMap((p) => p.results.map((r) => String(r['id'])));
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(s.control.count(resource));
      for (const page of pages) expect(page.results.length).toBeLessThanOrEqual(cap);
      if (ids.length > cap) expect(pages[0]!.results.length).toBe(cap);
      expect(pages.at(-1)!.next).toBeNull();
    });
  }

  it('serves a small default page when page_size is absent and honours a smaller page_size', async () => {
    const s = sandboxWithClock({ patientCount: 300 });
    const first = (await (await s.get('/api/patients')).json()) as { results: unknown[] };
    expect(first.results).toHaveLength(drchronoDefaultPageSize);
    const verbose = (await (await s.get('/api/patients?verbose=true')).json()) as { results: unknown[] };
    expect(verbose.results).toHaveLength(Math.min(drchronoDefaultPageSize, drchronoPageCaps.patients.verboseMax));
    const capped = (await (await s.get('/api/patients?verbose=true&page_size=250')).json()) as { results: unknown[] };
    expect(capped.results).toHaveLength(drchronoPageCaps.patients.verboseMax);
    const small = await walk(s.get, 'http://sandbox.test/api/patients?page_size=7');
    expect(small[0]!.results).toHaveLength(7);
    expect(small.flatMap((p) => p.results)).toHaveLength(300);
  });

  it('returns next as an absolute URL with an opaque cursor and a previous link that leads back', async () => {
    const s = sandboxWithClock({ patientCount: 30 });
    const pages = await walk(s.get, 'http://sandbox.test/api/patients?page_size=10');
    expect(pages).toHaveLength(3);
    expect(pages[0]!.previous).toBeNull();
    expect(pages[0]!.next).toMatch(/^http:\/\/sandbox\.test\/api\/patients\?page_size=10&cursor=[A-Za-z0-9_-]+$/);
    const back = (await (await s.get(pages[2]!.previous!)).json()) as {
      results: Array<{ id: number }>;
      previous: string;
    };
    expect(back.results.map((r) => r.id)).toEqual(pages[1]!.results.map((r) => r['id']));
    const backAgain = (await (await s.get(back.previous)).json()) as { results: Array<{ id: number }> };
    expect(backAgain.results.map((r) => r.id)).toEqual(pages[0]!.results.map((r) => r['id']));
  });

  it('answers 400 for a malformed cursor', async () => {
    const s = sandboxWithClock();
    expect((await s.get('/api/patients?cursor=not-a-cursor')).status).toBe(400);
  });

  it('serves page 3999 of a 1,000,000-patient sandbox without generating earlier pages', async () => {
    const base = createSyntheticDataset({ seed: 4, patientCount: 1_000_000 });
    let generated = 0;
    const counting: SyntheticDataset = {
      ...base,
      patient: (i) => {
        generated += 1;
        return base.patient(i);
      },
    };
    const { app, control } = createDrChronoSandbox({ dataset: counting });
    const { access_token } = control.issueTokenPair();
    const response = await app.request(`/api/patients?page_size=250&cursor=${listCursorForSlot(3999 * 250)}`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    const body = (await response.json()) as { results: Array<{ id: number }>; next: string | null };
    expect(response.status).toBe(200);
    expect(body.results).toHaveLength(250);
    expect(body.results[0]!.id).toBe(1_000_000 + 3999 * 250);
    expect(body.results.at(-1)!.id).toBe(1_999_999);
    expect(body.next).toBeNull();
    // this page plus, for its `previous` link, the page before it — never the 999,750 records before that
    expect(generated).toBeLessThanOrEqual(2 * 250 + 1);
  });

  it('filters patients, appointments and clinical notes by since (updated_at >= since)', async () => {
    const s = sandboxWithClock({ patientCount: 200 });
    const since = '2026-01-01T00:00:00';
    for (const resource of ['patients', 'appointments', 'clinical_notes'] as const) {
      const all = (await walk(s.get, `http://sandbox.test/api/${resource}?since=2000-01-01`)).flatMap((p) => p.results);
      const recent = (await walk(s.get, `http://sandbox.test/api/${resource}?since=${since}`)).flatMap(
        (p) => p.results,
      );
      expect(recent.length).toBeGreaterThan(0);
      expect(recent.length).toBeLessThan(all.length);
      expect(recent.every((r) => String(r['updated_at']) >= since)).toBe(true);
      expect(recent.length).toBe(all.filter((r) => String(r['updated_at']) >= since).length);
    }
  });

  it('accepts since as a date or a datetime and rejects anything else with 400', async () => {
    const s = sandboxWithClock();
    expect((await s.get('/api/patients?since=2026-01-01')).status).toBe(200);
    expect((await s.get('/api/patients?since=2026-01-01T10:15:00')).status).toBe(200);
    const bad = await s.get('/api/patients?since=yesterday');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ since: ['Enter a valid date/time.'] });
  });

  it('ignores since on medications, problems, allergies and doctors like DrChrono ignores unsupported filters', async () => {
    const s = sandboxWithClock({ patientCount: 50 });
    for (const resource of ['medications', 'problems', 'allergies', 'doctors'] as const) {
      const all = (await walk(s.get, `http://sandbox.test/api/${resource}`)).flatMap((p) => p.results);
      const withSince = (await walk(s.get, `http://sandbox.test/api/${resource}?since=2099-01-01`)).flatMap(
        (p) => p.results,
      );
      expect(withSince).toEqual(all);
    }
  });

  it('returns only records changed after a mutation when since is the mutation time', async () => {
    const s = sandboxWithClock({ patientCount: 100 });
    const before = s.control.nowTimestamp();
    s.clock.now += 60_000;
    s.control.update('patients', 1_000_010, { city: 'Testville' });
    const appointment = s.control.create('appointments', {
      patient: 1_000_011,
      doctor: 200,
      scheduled_time: '2026-03-05T10:00:00',
    });
    const patients = (await walk(s.get, `http://sandbox.test/api/patients?since=${before}`)).flatMap((p) => p.results);
    expect(patients.map((p) => p['id'])).toEqual([1_000_010]);
    expect(patients[0]!['updated_at']).toBe(s.control.nowTimestamp());
    const appointments = (await walk(s.get, `http://sandbox.test/api/appointments?since=${before}`)).flatMap(
      (p) => p.results,
    );
    expect(appointments.map((a) => a['id'])).toEqual([appointment['id']]);
    expect(typeof appointment['id']).toBe('string');
  });

  it('filters child resources by patient and by doctor', async () => {
    const s = sandboxWithClock({ patientCount: 80 });
    const patientId = 1_000_005;
    const created = s.control.create('medications', { patient: patientId, doctor: 201 });
    for (const resource of ['medications', 'problems', 'allergies', 'clinical_notes'] as const) {
      const all = (await walk(s.get, `http://sandbox.test/api/${resource}`)).flatMap((p) => p.results);
      const mine = (await walk(s.get, `http://sandbox.test/api/${resource}?patient=${patientId}`)).flatMap(
        (p) => p.results,
      );
      expect(mine).toEqual(all.filter((r) => r['patient'] === patientId));
    }
    const meds = (await walk(s.get, `http://sandbox.test/api/medications?patient=${patientId}`)).flatMap(
      (p) => p.results,
    );
    expect(meds.map((m) => m['id'])).toContain(created['id']);
    const byDoctor = (await walk(s.get, 'http://sandbox.test/api/patients?doctor=201')).flatMap((p) => p.results);
    expect(byDoctor.length).toBeGreaterThan(0);
    expect(byDoctor.every((p) => p['doctor'] === 201)).toBe(true);
  });

  it('requires date, date_range or since on appointments and caps date_range at 190 days', async () => {
    const s = sandboxWithClock({ patientCount: 200 });
    expect((await s.get('/api/appointments')).status).toBe(400);
    expect((await s.get('/api/appointments?date_range=2025-01-01/2025-12-31')).status).toBe(400);
    const inRange = (
      await walk(s.get, 'http://sandbox.test/api/appointments?date_range=2025-12-01/2026-02-28')
    ).flatMap((p) => p.results);
    expect(inRange.length).toBeGreaterThan(0);
    expect(
      inRange.every((a) => String(a['scheduled_time']) >= '2025-12-01' && String(a['scheduled_time']) < '2026-03-01'),
    ).toBe(true);
    const day = String(inRange[0]!['scheduled_time']).slice(0, 10);
    const onDay = (await walk(s.get, `http://sandbox.test/api/appointments?date=${day}`)).flatMap((p) => p.results);
    expect(onDay.length).toBeGreaterThan(0);
    expect(onDay.every((a) => String(a['scheduled_time']).startsWith(day))).toBe(true);
  });

  it('adds verbose-only fields, including the live clinical_note summary, only with verbose=true', async () => {
    const s = sandboxWithClock({ patientCount: 40 });
    const plain = (await (await s.get('/api/appointments?since=2000-01-01')).json()) as {
      results: Array<Record<string, unknown>>;
    };
    expect(plain.results[0]).not.toHaveProperty('clinical_note');
    const notes = (await walk(s.get, 'http://sandbox.test/api/clinical_notes?page_size=250')).flatMap((p) => p.results);
    const note = notes.find((n) => (n['signee'] as { locked_by?: unknown } | null)?.locked_by != null)!;
    const locked = (await (
      await s.get(`/api/appointments/${String(note['appointment'])}?verbose=true`)
    ).json()) as Record<string, unknown>;
    expect(locked['clinical_note']).toMatchObject({ locked: true });
    s.control.update('clinical_notes', note['id'] as number, { locked: false, signee: null });
    const detail = (await (
      await s.get(`/api/appointments/${String(note['appointment'])}?verbose=true`)
    ).json()) as Record<string, unknown>;
    expect(detail['clinical_note']).toMatchObject({ locked: false });
    const patient = (await (await s.get('/api/patients?verbose=true&page_size=1')).json()) as {
      results: Array<Record<string, unknown>>;
    };
    expect(patient.results[0]).toHaveProperty('custom_demographics');
  });

  it("serves the verbose-only fields of DrChrono's schema (x-verbose-required) only with verbose=true", async () => {
    const s = sandboxWithClock({ patientCount: 20 });
    const first = async (path: string) =>
      ((await (await s.get(path)).json()) as { results: Array<Record<string, unknown>> }).results[0]!;
    const plainPatient = await first('/api/patients?page_size=1');
    const verbosePatient = await first('/api/patients?page_size=1&verbose=true');
    for (const key of [
      'primary_insurance',
      'secondary_insurance',
      'tertiary_insurance',
      'custom_demographics',
      'referring_doctor',
    ]) {
      expect(plainPatient, key).not.toHaveProperty(key);
      expect(verbosePatient, key).toHaveProperty(key);
    }
    const plainAllergy = await first('/api/allergies?page_size=1');
    const verboseAllergy = await first('/api/allergies?page_size=1&verbose=true');
    expect(plainAllergy).not.toHaveProperty('description');
    expect(verboseAllergy['description']).toEqual(expect.any(String));
    expect(plainAllergy).toHaveProperty('reaction');
    const detail = (await (await s.get(`/api/allergies/${String(plainAllergy['id'])}`)).json()) as Record<
      string,
      unknown
    >;
    expect(detail).not.toHaveProperty('description');
  });

  it('serialises clinical notes without locked: the lock is signee.locked_by, with or without verbose', async () => {
    const s = sandboxWithClock({ patientCount: 40 });
    for (const query of ['', '&verbose=true']) {
      const notes = (await walk(s.get, `http://sandbox.test/api/clinical_notes?page_size=250${query}`)).flatMap(
        (p) => p.results,
      );
      expect(notes.length).toBeGreaterThan(0);
      for (const note of notes) expect(note).not.toHaveProperty('locked');
      const lockedBy = notes.map((n) => (n['signee'] as { locked_by?: unknown } | null)?.locked_by ?? null);
      expect(lockedBy.some((v) => v !== null)).toBe(true);
      expect(lockedBy.some((v) => v === null)).toBe(true);
    }
    const note = s.control.create('clinical_notes', { patient: 1_000_001, locked: true });
    expect(note).not.toHaveProperty('locked');
    expect(note['signee']).toMatchObject({ locked_by: expect.anything() });
    expect(s.control.update('clinical_notes', note['id'] as number, { locked: false })['signee']).toBeNull();
  });

  it('uses DrChrono field names, zone-less timestamps, YYYY-MM-DD dates and 2-dp decimal strings', async () => {
    const s = sandboxWithClock({ patientCount: 20 });
    const patient = (
      (await (await s.get('/api/patients?page_size=1&verbose=true')).json()) as {
        results: Array<Record<string, unknown>>;
      }
    ).results[0]!;
    expect(patient['updated_at']).toMatch(TIMESTAMP);
    expect(patient['date_of_birth']).toMatch(DATE);
    expect(patient['copay']).toMatch(/^\d+\.\d{2}$/);
    expect(patient['primary_insurance']).toMatchObject({
      insurance_company: expect.any(String),
      insurance_payer_id: expect.any(String),
      insurance_plan_type: expect.any(String),
      insurance_id_number: expect.any(String),
      insurance_group_number: expect.any(String),
      subscriber_first_name: expect.any(String),
    });
    expect(patient).toHaveProperty('secondary_insurance');
    expect(patient).toHaveProperty('tertiary_insurance');
    const appointment = (
      (await (await s.get('/api/appointments?since=2000-01-01&page_size=1')).json()) as {
        results: Array<Record<string, unknown>>;
      }
    ).results[0]!;
    for (const key of [
      'id',
      'doctor',
      'patient',
      'office',
      'exam_room',
      'scheduled_time',
      'duration',
      'status',
      'billing_status',
      'ins1_status',
      'ins2_status',
      'deleted_flag',
      'reason',
      'notes',
      'updated_at',
    ]) {
      expect(appointment).toHaveProperty(key);
    }
    expect(appointment['scheduled_time']).toMatch(TIMESTAMP);
    const note = (
      (await (await s.get('/api/clinical_notes?page_size=1')).json()) as { results: Array<Record<string, unknown>> }
    ).results[0]!;
    expect(note).toMatchObject({ clinical_note_sections: expect.any(Array), appointment: expect.any(String) });
    expect(note).toHaveProperty('signee');
    const problem = (
      (await (await s.get('/api/problems?page_size=1')).json()) as { results: Array<Record<string, unknown>> }
    ).results[0]!;
    expect(problem).toMatchObject({
      icd_code: expect.any(String),
      icd_version: '10',
      date_diagnosis: expect.stringMatching(DATE),
    });
    const doctor = (
      (await (await s.get('/api/doctors?page_size=1')).json()) as { results: Array<Record<string, unknown>> }
    ).results[0]!;
    expect(doctor).toMatchObject({
      npi_number: expect.stringMatching(/^\d{10}$/),
      specialty: expect.any(String),
      is_account_suspended: false,
    });
  });

  it('serves single records by id and 404 for unknown ids', async () => {
    const s = sandboxWithClock({ patientCount: 20 });
    const ok = await s.get('/api/patients/1000003');
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { id: number }).id).toBe(1_000_003);
    const missing = await s.get('/api/patients/1000020');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ detail: 'Not found.' });
  });

  it('drops a deleted patient from lists and detail, and flags a deleted appointment with a new updated_at', async () => {
    const s = sandboxWithClock({ patientCount: 30 });
    s.control.remove('patients', 1_000_004);
    const patients = (await walk(s.get, 'http://sandbox.test/api/patients')).flatMap((p) => p.results);
    expect(patients.map((p) => p['id'])).not.toContain(1_000_004);
    expect(patients).toHaveLength(29);
    expect((await s.get('/api/patients/1000004')).status).toBe(404);

    const appointment = (
      (await (await s.get('/api/appointments?since=2000-01-01&page_size=1')).json()) as {
        results: Array<Record<string, unknown>>;
      }
    ).results[0]!;
    s.clock.now += 1000;
    s.control.remove('appointments', appointment['id'] as string);
    const after = (await (await s.get(`/api/appointments/${String(appointment['id'])}`)).json()) as Record<
      string,
      unknown
    >;
    expect(after['deleted_flag']).toBe(true);
    expect(after['updated_at']).toBe(s.control.nowTimestamp());
  });
});
