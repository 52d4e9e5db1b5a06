import { describe, expect, it } from 'vitest';
import { decodePushEnvelope, PushEnvelopeError } from '../../../sync/events/push-envelope.js';
import { buildPushEnvelope, encodeChangeEvent } from '../../../sync/events/types.js';

const SUB = 'projects/feel-august-prod/subscriptions/change-events-push';
const valid = () => buildPushEnvelope(encodeChangeEvent({ table: 'patients', ids: [1, 2] }), '1234567890', SUB, 1);
const refusal = (body: unknown): PushEnvelopeError => {
  try {
    decodePushEnvelope(JSON.stringify(body));
  } catch (error) {
    if (error instanceof PushEnvelopeError) return error;
    throw error;
  }
  throw new Error('decoded');
};

describe('decodePushEnvelope', () => {
  it('decodes a well-formed envelope into the event, ids and publish time', () => {
    const envelope = valid();
    const decoded = decodePushEnvelope(JSON.stringify(envelope));
    expect(decoded).toMatchObject({
      messageId: '1234567890',
      subscription: SUB,
      deliveryAttempt: 1,
      event: { table: 'patients', ids: [1, 2] },
    });
    expect(decoded.publishedAt?.toISOString()).toBe(envelope.message.publishTime);
  });

  it('carries the committed_at attribute as committedAt, and ignores one that is not a plain ISO instant', () => {
    const committed = new Date('2025-03-04T05:06:07.089Z');
    const withCommit = buildPushEnvelope(encodeChangeEvent({ table: 'patients', ids: [1] }, committed), '1', SUB);
    expect(withCommit.message.attributes).toEqual({
      table: 'patients',
      count: '1',
      committed_at: committed.toISOString(),
    });
    expect(decodePushEnvelope(JSON.stringify(withCommit)).committedAt?.toISOString()).toBe(committed.toISOString());
    for (const bad of ['yesterday', '2025-02-30T00:00:00Z', '2025-03-04T05:06:07+01:00', '']) {
      const envelope = { ...withCommit, message: { ...withCommit.message, attributes: { committed_at: bad } } };
      expect(decodePushEnvelope(JSON.stringify(envelope)).committedAt, bad).toBeUndefined();
    }
    expect(decodePushEnvelope(JSON.stringify(valid())).committedAt).toBeUndefined();
  });

  it.each([
    [
      'NUL in messageId',
      (e: ReturnType<typeof valid>) => ({
        ...e,
        message: { ...e.message, messageId: '12\u00003', message_id: undefined },
      }),
      'message.messageId',
    ],
    [
      'a control character in message_id',
      (e: ReturnType<typeof valid>) => ({ ...e, message: { ...e.message, messageId: undefined, message_id: 'a\nb' } }),
      'message.message_id',
    ],
    [
      'a messageId over 256 chars',
      (e: ReturnType<typeof valid>) => ({ ...e, message: { ...e.message, messageId: '9'.repeat(257) } }),
      'message.messageId',
    ],
    [
      'publishTime in year +010000',
      (e: ReturnType<typeof valid>) => ({
        ...e,
        message: { ...e.message, publishTime: '+010000-01-01T00:00:00.000Z' },
      }),
      'message.publishTime',
    ],
    [
      'publishTime 2026-02-30',
      (e: ReturnType<typeof valid>) => ({ ...e, message: { ...e.message, publishTime: '2026-02-30T00:00:00Z' } }),
      'message.publishTime',
    ],
    [
      'publish_time in year 0000',
      (e: ReturnType<typeof valid>) => ({ ...e, message: { ...e.message, publish_time: '0000-01-01T00:00:00Z' } }),
      'message.publish_time',
    ],
    [
      'a subscription of 100,000 characters',
      (e: ReturnType<typeof valid>) => ({ ...e, subscription: `${SUB}${'x'.repeat(100_000)}` }),
      'subscription',
    ],
    [
      'a subscription that is not a resource name',
      (e: ReturnType<typeof valid>) => ({ ...e, subscription: 'Jane Doe DOB 1970-01-01' }),
      'subscription',
    ],
    ['NUL in subscription', (e: ReturnType<typeof valid>) => ({ ...e, subscription: `${SUB}\u0000` }), 'subscription'],
  ])('refuses %s with 400 naming the field', (_name, mutate, field) => {
    const error = refusal(mutate(valid()));
    expect(error.reason).toBe('invalid envelope');
    expect(error.fields).toEqual([field]);
  });

  it('names an attribute problem without quoting a free-text attribute name', () => {
    const envelope = valid();
    const error = refusal({ ...envelope, message: { ...envelope.message, attributes: { 'Jane Doe': 5 } } });
    expect(error.fields).toEqual(['message.attributes']);
  });

  it("accepts the emulator's project and nanosecond publish times", () => {
    const envelope = valid();
    const decoded = decodePushEnvelope(
      JSON.stringify({
        ...envelope,
        subscription: 'projects/local/subscriptions/abc',
        message: { ...envelope.message, publishTime: '2026-01-02T03:04:05.123456789Z' },
      }),
    );
    expect(decoded.subscription).toBe('projects/local/subscriptions/abc');
  });
});
