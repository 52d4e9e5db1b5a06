import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { GridhookAuthError, GridhookConfigError, GridhookPayloadError, GridhookStaleError } from './errors.js';

// Gridhook contract v1 (docs/deepcura-contract.md). Deep Cura publishes no specification; this module is the one
// place that knows the envelope, so the vendor's real scheme can replace it without touching storage or handlers.

export { GridhookAuthError, GridhookPayloadError, GridhookStaleError } from './errors.js';

export const GRIDHOOK_VERSION = 1;
export const GRIDHOOK_KEY_BYTES = 32;
export const GRIDHOOK_IV_BYTES = 12;
export const GRIDHOOK_TAG_BYTES = 16;
/** Default replay window: `sent_at` must be within ±300 s of the receiver's clock. */
export const DEFAULT_REPLAY_WINDOW_SECONDS = 300;

/** The JSON body Deep Cura POSTs: AES-256-GCM over the UTF-8 JSON payload, each part standard base64. */
export interface GridhookEnvelope {
  readonly v: 1;
  readonly iv: string;
  readonly ciphertext: string;
  readonly tag: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes the base64 shared secret (as stored in Secret Manager / `DEEPCURA_KEY`); it must be 32 bytes. */
export function parseGridhookKey(base64: string): Buffer {
  const trimmed = base64.trim();
  if (!BASE64.test(trimmed)) throw new GridhookConfigError('DEEPCURA_KEY must be standard base64 (A–Z a–z 0–9 + / =)');
  return assertGridhookKey(Buffer.from(trimmed, 'base64'));
}

/** Throws GridhookConfigError unless `key` is exactly 32 bytes (AES-256). */
export function assertGridhookKey(key: Buffer): Buffer {
  if (!Buffer.isBuffer(key) || key.length !== GRIDHOOK_KEY_BYTES) {
    throw new GridhookConfigError(
      `Deep Cura key must be ${GRIDHOOK_KEY_BYTES} bytes (AES-256); got ${Buffer.isBuffer(key) ? key.length : 'no'} bytes. ` +
        'Generate one with `openssl rand -base64 32`.',
    );
  }
  return key;
}

/** Encrypts a payload the way Deep Cura does (the sender's half of the contract). A fresh random iv unless given. */
export function encryptGridhook(payload: unknown, key: Buffer, options: { iv?: Buffer } = {}): GridhookEnvelope {
  assertGridhookKey(key);
  const iv = options.iv ?? randomBytes(GRIDHOOK_IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: GRIDHOOK_TAG_BYTES });
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  return {
    v: GRIDHOOK_VERSION,
    iv: iv.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

function field(
  envelope: Record<string, unknown>,
  name: 'iv' | 'ciphertext' | 'tag',
  problems: string[],
): Buffer | undefined {
  const value = envelope[name];
  if (typeof value !== 'string') {
    problems.push(`${name}: required base64 string`);
    return undefined;
  }
  if (!BASE64.test(value)) {
    problems.push(`${name}: not standard base64`);
    return undefined;
  }
  return Buffer.from(value, 'base64');
}

/**
 * Authenticates and decrypts an envelope, returning the plaintext (UTF-8 JSON, not yet validated).
 * A wrong shape (not an object, missing part, not base64, unknown `v`) is a GridhookPayloadError naming the part;
 * an iv or tag of the wrong size, a wrong key or any tampered byte is a GridhookAuthError that says nothing more.
 */
export function decryptGridhook(envelope: unknown, key: Buffer): string {
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
    throw new GridhookPayloadError(['(root)'], ['(root): expected a JSON object envelope']);
  }
  const record = envelope as Record<string, unknown>;
  const problems: string[] = [];
  if (record['v'] !== GRIDHOOK_VERSION) problems.push(`v: must be ${GRIDHOOK_VERSION}`);
  const iv = field(record, 'iv', problems);
  const ciphertext = field(record, 'ciphertext', problems);
  const tag = field(record, 'tag', problems);
  if (problems.length > 0 || !iv || !ciphertext || !tag) {
    throw new GridhookPayloadError(
      problems.map((p) => p.slice(0, p.indexOf(':'))),
      problems,
    );
  }
  // Node accepts GCM tags shorter than 16 bytes unless told otherwise; a truncated tag is a forgery aid.
  if (iv.length !== GRIDHOOK_IV_BYTES || tag.length !== GRIDHOOK_TAG_BYTES)
    throw new GridhookAuthError('Gridhook authentication failed');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: GRIDHOOK_TAG_BYTES });
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new GridhookAuthError('Gridhook authentication failed');
  }
}

/**
 * The replay window: `sentAt` must lie within ±`windowSeconds` of `now`. Together with the delivery-id dedupe in
 * storage this bounds replays: older than the window is refused here, inside it the id is already recorded.
 */
export function assertGridhookFresh(
  sentAt: Date,
  now: Date,
  windowSeconds: number = DEFAULT_REPLAY_WINDOW_SECONDS,
): void {
  const skewMs = sentAt.getTime() - now.getTime();
  if (!Number.isFinite(skewMs) || Math.abs(skewMs) > windowSeconds * 1000) {
    throw new GridhookStaleError(Number.isFinite(skewMs) ? Math.trunc(skewMs / 1000) : -Infinity, windowSeconds);
  }
}
