import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptGridhook } from '../../../sync/deepcura/decrypt.js';
import { parseGridhookPayload } from '../../../sync/deepcura/payload.js';
import { buildSyntheticDeepcuraNote, createDeepcuraSender, sealGridhook } from '../../../sandbox/deepcura/sender.js';

const key = randomBytes(32);
const now = new Date('2025-03-01T12:00:00Z');

describe('Deep Cura sandbox sender', () => {
  it('seals envelopes that the receiver decrypts (two implementations, one contract)', () => {
    const note = { ...buildSyntheticDeepcuraNote({ patient: 7, createdAt: now }), sent_at: now.toISOString() };
    expect(parseGridhookPayload(decryptGridhook(sealGridhook(note, key), key)).payload.patient_id).toBe('7');
  });

  it('stamps sent_at from its clock and POSTs JSON', async () => {
    const requests: { url: string; init: RequestInit }[] = [];
    const sender = createDeepcuraSender({
      url: 'http://127.0.0.1:1/webhooks/deepcura',
      key,
      clock: () => now.getTime(),
      fetch: (async (url: string, init: RequestInit) => {
        requests.push({ url, init });
        return new Response('{"status":"stored"}', { status: 200 });
      }) as typeof fetch,
    });
    const result = await sender.send(
      buildSyntheticDeepcuraNote({
        patient: { id: 7 },
        appointment: { id: 'a-9', scheduled_time: '2025-02-28T15:30:00' },
      }),
    );
    expect(result.status).toBe(200);
    expect(requests).toHaveLength(1);
    expect(new Headers(requests[0]!.init.headers).get('content-type')).toBe('application/json');
    const { payload } = parseGridhookPayload(decryptGridhook(JSON.parse(String(requests[0]!.init.body)), key));
    expect(payload.sent_at).toBe(now.toISOString());
    expect(payload.appointment_id).toBe('a-9');
    expect(payload.visit_date).toBe('2025-02-28');
  });

  it('builds clearly synthetic text with a stable note id per patient, appointment and day', () => {
    const a = buildSyntheticDeepcuraNote({ patient: 7, appointment: 9, visitDate: '2025-03-01' });
    const b = buildSyntheticDeepcuraNote({ patient: 7, appointment: 9, visitDate: '2025-03-01' });
    expect(a.note_id).toBe(b.note_id);
    for (const text of [a.transcript, ...Object.values(a.soap)]) expect(text).toContain('SYNTHETIC TEST NOTE');
  });

  it('refuses a key that is not 32 bytes and a malformed URL at setup', () => {
    expect(() => createDeepcuraSender({ url: 'http://x/', key: randomBytes(16) })).toThrow(/32-byte/);
    expect(() => createDeepcuraSender({ url: 'not a url', key })).toThrow();
  });
});
