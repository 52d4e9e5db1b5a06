import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  encryptGridhook,
  GridhookAuthError,
  GridhookPayloadError,
  GridhookStaleError,
} from '../../../sync/deepcura/decrypt.js';
import { parseGridhookPayload, type GridhookPayloadInput } from '../../../sync/deepcura/payload.js';
import { openGridhook } from '../../../sync/deepcura/receive.js';
import { buildSyntheticDeepcuraNote } from '../../../sandbox/deepcura/sender.js';

const now = new Date('2025-03-01T12:00:00Z');
const valid = (): GridhookPayloadInput => ({
  ...buildSyntheticDeepcuraNote({
    patient: 1001,
    appointment: { id: '5001', scheduled_time: '2025-03-01T09:00:00' },
    createdAt: now,
  }),
  sent_at: now.toISOString(),
});

function payloadError(value: unknown): GridhookPayloadError {
  try {
    parseGridhookPayload(typeof value === 'string' ? value : JSON.stringify(value));
  } catch (error) {
    if (error instanceof GridhookPayloadError) return error;
    throw error;
  }
  throw new Error('expected a GridhookPayloadError');
}

describe('parseGridhookPayload', () => {
  it('accepts the synthetic note and turns numeric ids into strings', () => {
    const { payload, raw } = parseGridhookPayload(
      JSON.stringify({ ...valid(), patient_id: 1001, extra: 'kept in raw' }),
    );
    expect(payload.patient_id).toBe('1001');
    expect(payload.appointment_id).toBe('5001');
    expect(payload.visit_date).toBe('2025-03-01');
    expect(raw['extra']).toBe('kept in raw');
  });

  it('accepts a null appointment_id and a sent_at with an offset', () => {
    const { payload } = parseGridhookPayload(
      JSON.stringify({ ...valid(), appointment_id: null, sent_at: '2025-03-01T07:00:00-05:00' }),
    );
    expect(payload.appointment_id).toBeNull();
  });

  it('names each bad field path and the rule, never the value', () => {
    const secret = 'SECRET-VALUE-Jane-Roe';
    const bad = {
      ...valid(),
      visit_date: secret,
      soap: { ...valid().soap, plan: 42 },
      risk_assessment: { level: secret, factors: [] },
      icd10_suggestions: [{ code: '' }],
    };
    const error = payloadError(bad);
    expect(error.fields).toEqual(
      expect.arrayContaining(['visit_date', 'soap.plan', 'risk_assessment.level', 'icd10_suggestions.0.code']),
    );
    expect(error.message).toContain('soap.plan: expected string');
    expect(error.message).not.toContain(secret);
    expect(error.problems.join(' ')).not.toContain(secret);
  });

  it('requires sent_at with a zone', () => {
    const { sent_at: _omitted, ...withoutSentAt } = valid();
    expect(payloadError(withoutSentAt).fields).toEqual(['sent_at']);
    expect(payloadError({ ...valid(), sent_at: '2025-03-01T12:00:00' }).fields).toEqual(['sent_at']);
  });

  it('requires the ids and refuses an empty note id', () => {
    const { patient_id: _p, ...withoutPatient } = valid();
    expect(payloadError(withoutPatient).fields).toEqual(['patient_id']);
    expect(payloadError({ ...valid(), note_id: '  ' }).fields).toEqual(['note_id']);
  });

  it('reports plaintext that is not JSON without quoting it', () => {
    const error = payloadError('{"transcript": "SECRET');
    expect(error.fields).toEqual(['(plaintext)']);
    expect(error.message).not.toContain('SECRET');
  });

  it('reports a non-object plaintext at the root', () => {
    expect(payloadError([1, 2]).fields).toEqual(['(root)']);
  });
});

describe('openGridhook', () => {
  const key = randomBytes(32);

  it('decrypts, validates and checks the window in one call', () => {
    const note = openGridhook(encryptGridhook(valid(), key), { key, now });
    expect(note.payload.note_id).toBe(valid().note_id);
  });

  it('refuses a stale or future sent_at, and a wrong key before looking at the payload', () => {
    const old = encryptGridhook({ ...valid(), sent_at: new Date(now.getTime() - 301_000).toISOString() }, key);
    const future = encryptGridhook({ ...valid(), sent_at: new Date(now.getTime() + 301_000).toISOString() }, key);
    expect(() => openGridhook(old, { key, now })).toThrow(GridhookStaleError);
    expect(() => openGridhook(future, { key, now })).toThrow(GridhookStaleError);
    expect(() => openGridhook(old, { key, now, replayWindowSeconds: 600 })).not.toThrow();
    expect(() => openGridhook(encryptGridhook({ junk: true }, randomBytes(32)), { key, now })).toThrow(
      GridhookAuthError,
    );
  });

  it('refuses an authentic envelope whose payload breaks the schema', () => {
    expect(() => openGridhook(encryptGridhook({ ...valid(), transcript: null }, key), { key, now })).toThrow(
      GridhookPayloadError,
    );
  });
});
