import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deepcuraWebhookRoutes } from '../../../handlers/drchrono-sync/deepcura.js';
import { buildSyntheticDeepcuraNote } from '../../../sandbox/deepcura/sender.js';
import { routeTestbed } from '../../harness/route-testbed.js';

// The malformed classes of issue part 4 inside a Deep Cura Gridhook (NUL, lone surrogates, year 0000, deep
// nesting): 200 with the note stored as documented in sync/db/pg-values.ts, or 400 naming the field — never 5xx.

const key = randomBytes(32);
const now = new Date('2025-03-01T17:00:00Z');
const MARK = 'Thistlewick';

const bed = routeTestbed(({ sql, logger }) => deepcuraWebhookRoutes({ sql, logger, key, clock: () => now.getTime() }));

/** Seals a plaintext string as Deep Cura would (contract v1), so tests can send JSON that JSON.stringify cannot build. */
function seal(plaintext: string) {
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

async function send(
  overrides: Record<string, unknown>,
  depth = 0,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const noteId = `dc-hostile-${randomBytes(4).toString('hex')}`;
  const payload = {
    ...buildSyntheticDeepcuraNote({ patient: 'p-x', visitDate: '2025-03-01', createdAt: now, noteId }),
    sent_at: now.toISOString(),
    ...overrides,
  };
  const plaintext = JSON.stringify(payload).replace('"__DEEP__"', `${'['.repeat(depth)}"${MARK}"${']'.repeat(depth)}`);
  const res = await bed.app.request('/webhooks/deepcura', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: seal(plaintext),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const stored = async (noteId: string) =>
  (await bed.t.sql`SELECT * FROM deepcura_notes WHERE deepcura_note_id = ${noteId}`)[0];

describe('Deep Cura Gridhook: values Postgres cannot hold as sent', () => {
  it('stores NUL in transcript and SOAP text as U+FFFD, in the columns and in raw', async () => {
    const res = await send({
      note_id: 'dc-nul',
      transcript: `said ${MARK}\u0000 x`,
      soap: { subjective: 's\u0000', objective: 'o', assessment: 'a', plan: 'p' },
    });
    expect(res.status).toBe(200);
    expect(await stored('dc-nul')).toMatchObject({
      transcript: `said ${MARK}\uFFFD x`,
      soap_subjective: 's\uFFFD',
      raw: expect.objectContaining({ transcript: `said ${MARK}\uFFFD x` }),
    });
  });

  it('stores lone surrogates in text and in jsonb suggestions as U+FFFD', async () => {
    const res = await send({
      note_id: 'dc-surrogate',
      transcript: 'a\uD800b',
      icd10_suggestions: [{ code: 'F41.1', description: 'x\uDC00' }],
      risk_assessment: { level: 'low', factors: ['\uDBFF'] },
    });
    expect(res.status).toBe(200);
    expect(await stored('dc-surrogate')).toMatchObject({
      transcript: 'a\uFFFDb',
      icd10_suggestions: [{ code: 'F41.1', description: 'x\uFFFD' }],
      risk_factors: ['\uFFFD'],
    });
  });

  it('refuses NUL or a lone surrogate in an id with 400 naming it (an id is a key, not cleaned)', async () => {
    const nul = await send({ note_id: 'dc\u0000x' });
    expect(nul.status).toBe(400);
    expect(nul.body['fields']).toEqual(['note_id']);
    const surrogate = await send({ patient_id: 'p\uD800' });
    expect(surrogate.status).toBe(400);
    expect(surrogate.body['fields']).toEqual(['patient_id']);
  });

  it.each([
    ['visit_date', '0000-01-01'],
    ['created_at', '0000-01-01T00:00:00Z'],
  ])('refuses %s in year 0000 with 400 naming it', async (field, value) => {
    const res = await send({ [field]: value });
    expect(res.status).toBe(400);
    expect(res.body['fields']).toEqual([field]);
  });

  it('refuses a field nested 20,000 deep with 400 naming it, and writes nothing', async () => {
    const before = Number((await bed.t.sql`SELECT count(*) n FROM webhook_deliveries`)[0]!.n);
    const res = await send({ note_id: 'dc-deep', vendor_extra: '__DEEP__' }, 20_000);
    expect(res.status).toBe(400);
    expect(res.body['fields']).toEqual([expect.stringMatching(/^vendor_extra(\.0)*$/)]);
    expect(Number((await bed.t.sql`SELECT count(*) n FROM webhook_deliveries`)[0]!.n)).toBe(before);
    expect(await stored('dc-deep')).toBeUndefined();
  });

  it('logs cleaned columns by name and reason, and never a value', () => {
    const text = bed.logs.text();
    expect(text).toMatch(/"table":"deepcura_notes","column":"transcript","reason":"text_cleaned"/);
    expect(text).not.toContain(MARK);
    expect(text).not.toMatch(/"severity":"ERROR"/);
  });
});
