import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

// DrChrono's webhook proofs (DESIGN §7.1). The handshake answers HMAC-SHA256(secret, msg) to anyone who asks, so it
// is a signing oracle for whatever `msg` may contain. Deliveries are accepted with the secret token itself in
// `X-drchrono-signature` (DrChrono's documented form) or with hex HMAC-SHA256 of the raw body (reported by some
// integrations). The two stay apart by construction: a handshake `msg` must be a short token without `{` or white
// space, and a body is accepted by HMAC only when it is a JSON object text (starts with `{`), so no answer the
// handshake gives can ever be a delivery signature.

/** DrChrono's handshake `msg`: a short random token (letters, digits and `-_.~+/=`), never JSON. */
export const HANDSHAKE_MSG_PATTERN = /^[A-Za-z0-9._~+/=-]{1,128}$/;

/** Whether `msg` is something DrChrono's registration handshake sends (and so something we answer). */
export function isHandshakeMessage(msg: string | undefined): msg is string {
  return typeof msg === 'string' && HANDSHAKE_MSG_PATTERN.test(msg);
}

/**
 * Answer to DrChrono's registration handshake `GET <callback>?msg=<m>`: hex HMAC-SHA256 of `m` keyed by the secret.
 * @throws Error when `msg` is not a handshake token ({@link isHandshakeMessage}): answering it would sign attacker text
 */
export function handshakeToken(secret: string, msg: string): string {
  if (!isHandshakeMessage(msg))
    throw new Error('handshakeToken: msg must match HANDSHAKE_MSG_PATTERN; refuse the request instead');
  return hmacHex(secret, msg);
}

const hmacHex = (secret: string, value: string) => createHmac('sha256', secret).update(value, 'utf8').digest('hex');
// Comparing fixed-size digests keeps the comparison constant-time whatever the lengths of the inputs.
const digest = (value: string) => createHash('sha256').update(value).digest();
const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

/** A delivery body is a JSON object; only such a text may be proven by an HMAC (never a handshake token). */
const isObjectText = (rawBody: string) => rawBody.startsWith('{');

/** Which proof a delivery carried, for logs and metrics (never the value). */
export type SignatureForm = 'secret' | 'body-hmac';

/**
 * Verifies `X-drchrono-signature`: the secret token itself, or hex HMAC-SHA256 of the raw body when the body is a
 * JSON object text. Returns the form that matched, or null. Both comparisons always run (constant time).
 */
export function verifyDrChronoSignature(
  secret: string,
  rawBody: string,
  signature: string | undefined,
): SignatureForm | null {
  if (!signature || !secret) return null;
  const matchesSecret = same(signature, secret);
  const matchesHmac = same(signature.toLowerCase(), hmacHex(secret, rawBody)) && isObjectText(rawBody);
  return matchesSecret ? 'secret' : matchesHmac ? 'body-hmac' : null;
}
