import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Answer to DrChrono's registration handshake `GET <callback>?msg=<m>`: hex HMAC-SHA256 of `m` keyed by the secret. */
export function handshakeToken(secret: string, msg: string): string {
  return createHmac('sha256', secret).update(msg).digest('hex');
}

// Comparing fixed-size digests keeps the comparison constant-time whatever the lengths of the inputs.
const digest = (value: string) => createHash('sha256').update(value).digest();
const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

/**
 * DrChrono's docs call `X-drchrono-signature` "the secret token associated with this webhook"; deliveries seen in
 * the wild carry hex HMAC-SHA256 of the raw body. Either is accepted, nothing else (DESIGN §7.1).
 */
export function verifyDrChronoSignature(secret: string, rawBody: string, signature: string | undefined): boolean {
  if (!signature || !secret) return false;
  const hmac = createHmac('sha256', secret).update(rawBody).digest('hex');
  const matchesHmac = same(signature.toLowerCase(), hmac);
  const matchesSecret = same(signature, secret);
  return matchesHmac || matchesSecret;
}
