import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  handshakeToken,
  isHandshakeMessage,
  verifyDrChronoSignature,
} from '../../../sync/drchrono/webhook-signature.js';

const SECRET = 'a-webhook-secret-of-24-chars';
const hmac = (value: string) => createHmac('sha256', SECRET).update(value).digest('hex');

describe('DrChrono webhook signatures', () => {
  it('accepts the secret token itself and hex HMAC-SHA256 of a JSON object body, nothing else', () => {
    const body = '{"object":{"id":1}}';
    expect(verifyDrChronoSignature(SECRET, body, SECRET)).toBe('secret');
    expect(verifyDrChronoSignature(SECRET, body, hmac(body))).toBe('body-hmac');
    expect(verifyDrChronoSignature(SECRET, body, hmac(body).toUpperCase())).toBe('body-hmac');
    expect(verifyDrChronoSignature(SECRET, body, hmac(`${body} `))).toBeNull();
    expect(verifyDrChronoSignature(SECRET, body, undefined)).toBeNull();
    expect(verifyDrChronoSignature('', body, '')).toBeNull();
  });

  it('never verifies a delivery with an answer the handshake gave (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 0, maxLength: 200, unit: 'binary' }), (msg) => {
        if (!isHandshakeMessage(msg)) {
          expect(() => handshakeToken(SECRET, msg)).toThrow(/HANDSHAKE_MSG_PATTERN/);
          return;
        }
        expect(verifyDrChronoSignature(SECRET, msg, handshakeToken(SECRET, msg))).toBeNull();
      }),
      { numRuns: 2000, seed: 20261202 },
    );
  });

  it('no JSON object text is a handshake message, so its HMAC can never come from the handshake (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.constantFrom('', ' ', '\n', '\t'), (object, lead) => {
        expect(isHandshakeMessage(lead + JSON.stringify(object))).toBe(false);
      }),
      { numRuns: 1000, seed: 20261202 },
    );
  });

  it('answers handshake tokens as DrChrono expects: hex HMAC-SHA256 of msg keyed by the secret', () => {
    expect(handshakeToken(SECRET, 'abc')).toBe(hmac('abc'));
  });
});
