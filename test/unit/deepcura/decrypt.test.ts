import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertGridhookFresh,
  assertGridhookKey,
  decryptGridhook,
  encryptGridhook,
  parseGridhookKey,
  GridhookAuthError,
  GridhookPayloadError,
  GridhookStaleError,
} from '../../../sync/deepcura/decrypt.js';
import { GridhookConfigError } from '../../../sync/deepcura/errors.js';

const key = randomBytes(32);
const payload = { note_id: 'n-1', transcript: 'SYNTHETIC transcript text' };

const b64 = (buffer: Buffer) => buffer.toString('base64');
const bytes = (value: string) => Buffer.from(value, 'base64');

describe('decryptGridhook', () => {
  it('round-trips what encryptGridhook sealed', () => {
    const envelope = encryptGridhook(payload, key);
    expect(envelope.v).toBe(1);
    expect(bytes(envelope.iv)).toHaveLength(12);
    expect(bytes(envelope.tag)).toHaveLength(16);
    expect(JSON.parse(decryptGridhook(envelope, key))).toEqual(payload);
  });

  it('uses a fresh iv for every envelope', () => {
    expect(encryptGridhook(payload, key).iv).not.toBe(encryptGridhook(payload, key).iv);
  });

  it('refuses a wrong key as an authentication failure', () => {
    expect(() => decryptGridhook(encryptGridhook(payload, key), randomBytes(32))).toThrow(GridhookAuthError);
  });

  it('refuses a flipped tag bit', () => {
    const envelope = encryptGridhook(payload, key);
    const tag = bytes(envelope.tag);
    tag[0]! ^= 1;
    expect(() => decryptGridhook({ ...envelope, tag: b64(tag) }, key)).toThrow(GridhookAuthError);
  });

  it('refuses a truncated tag even though the prefix is genuine', () => {
    const envelope = encryptGridhook(payload, key);
    for (const length of [4, 8, 12, 15]) {
      expect(() => decryptGridhook({ ...envelope, tag: b64(bytes(envelope.tag).subarray(0, length)) }, key)).toThrow(
        GridhookAuthError,
      );
    }
  });

  it('refuses an iv that is not 12 bytes', () => {
    const envelope = encryptGridhook(payload, key);
    expect(() => decryptGridhook({ ...envelope, iv: b64(bytes(envelope.iv).subarray(0, 8)) }, key)).toThrow(
      GridhookAuthError,
    );
    expect(() =>
      decryptGridhook({ ...envelope, iv: b64(Buffer.concat([bytes(envelope.iv), Buffer.alloc(4)])) }, key),
    ).toThrow(GridhookAuthError);
  });

  it('refuses a ciphertext with an appended or removed byte', () => {
    const envelope = encryptGridhook(payload, key);
    const ciphertext = bytes(envelope.ciphertext);
    expect(() => decryptGridhook({ ...envelope, ciphertext: b64(ciphertext.subarray(1)) }, key)).toThrow(
      GridhookAuthError,
    );
    expect(() =>
      decryptGridhook({ ...envelope, ciphertext: b64(Buffer.concat([ciphertext, Buffer.from([0])])) }, key),
    ).toThrow(GridhookAuthError);
  });

  it('refuses any single tampered byte of iv, ciphertext or tag (property)', () => {
    const envelope = encryptGridhook(payload, key);
    const parts = { iv: bytes(envelope.iv), ciphertext: bytes(envelope.ciphertext), tag: bytes(envelope.tag) };
    fc.assert(
      fc.property(
        fc.constantFrom('iv', 'ciphertext', 'tag'),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (part: keyof typeof parts, position, mask) => {
          const tampered = Buffer.from(parts[part]);
          const index = position % tampered.length;
          tampered[index] = tampered[index]! ^ mask;
          expect(() => decryptGridhook({ ...envelope, [part]: b64(tampered) }, key)).toThrow(GridhookAuthError);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('names the missing or malformed envelope parts as payload errors', () => {
    const envelope = encryptGridhook(payload, key);
    const missing = (() => {
      try {
        decryptGridhook({ v: 1, ciphertext: envelope.ciphertext, tag: 'not base64!' }, key);
      } catch (error) {
        return error;
      }
    })();
    expect(missing).toBeInstanceOf(GridhookPayloadError);
    expect((missing as GridhookPayloadError).fields).toEqual(['iv', 'tag']);
    expect(() => decryptGridhook({ ...envelope, v: 2 }, key)).toThrow(GridhookPayloadError);
    expect(() => decryptGridhook([envelope], key)).toThrow(GridhookPayloadError);
    expect(() => decryptGridhook(null, key)).toThrow(GridhookPayloadError);
  });
});

describe('Gridhook keys', () => {
  it('accepts a base64 32-byte key and refuses other sizes or alphabets', () => {
    expect(parseGridhookKey(b64(key))).toEqual(key);
    expect(() => parseGridhookKey(b64(randomBytes(16)))).toThrow(GridhookConfigError);
    expect(() => parseGridhookKey('not*base64')).toThrow(GridhookConfigError);
    expect(() => assertGridhookKey(randomBytes(31))).toThrow(/32 bytes/);
  });

  it('refuses to encrypt with a key of the wrong size', () => {
    expect(() => encryptGridhook(payload, randomBytes(24))).toThrow(GridhookConfigError);
  });
});

describe('assertGridhookFresh', () => {
  const now = new Date('2025-03-01T12:00:00Z');
  const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);

  it('accepts sent_at within ±300 s by default, edges included', () => {
    for (const s of [-300, -1, 0, 1, 300]) expect(() => assertGridhookFresh(at(s), now)).not.toThrow();
  });

  it('refuses a stale sent_at and says how old it is', () => {
    try {
      assertGridhookFresh(at(-301), now);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(GridhookStaleError);
      expect((error as GridhookStaleError).skewSeconds).toBe(-301);
    }
  });

  it('refuses a sent_at too far in the future', () => {
    expect(() => assertGridhookFresh(at(301), now)).toThrow(GridhookStaleError);
    expect(() => assertGridhookFresh(at(3600), now)).toThrow(/in the future/);
  });

  it('honours a configured window and refuses an invalid date', () => {
    expect(() => assertGridhookFresh(at(-60), now, 30)).toThrow(GridhookStaleError);
    expect(() => assertGridhookFresh(new Date('nope'), now)).toThrow(GridhookStaleError);
  });
});
