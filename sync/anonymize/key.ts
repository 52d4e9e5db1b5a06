import { createHmac } from 'node:crypto';

/** A key that is too short, or unreadable, to key pseudonyms with. */
export class AnonymizeKeyError extends Error {
  override name = 'AnonymizeKeyError';
}

/** Fewest bytes of key material accepted: HMAC-SHA256 keyed with less than its output size is weaker than it looks. */
export const MIN_KEY_BYTES = 32;
/** Largest date shift, days, either way: years move by at most one. */
export const MAX_SHIFT_DAYS = 180;

const PSEUDONYM_ID_BASE = 100_000_000_000_000n; // 15 digits: a numeric id, still exact in a JS number (< 2^53)
const PSEUDONYM_ID_SPAN = 900_000_000_000_000n;
const CACHE_LIMIT = 200_000;

/**
 * Keyed pseudonyms: every output is HMAC-SHA256(key, purpose ‖ value), so it is stable across runs with the same
 * key, different with another, and not reversible without the key (the key stays in prod's Secret Manager).
 */
export class PseudonymKey {
  readonly #key: Buffer;
  readonly #ids = new Map<string, string>();
  readonly #offsets = new Map<string, number>();

  constructor(key: Buffer | string) {
    const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
    if (bytes.length < MIN_KEY_BYTES)
      throw new AnonymizeKeyError(
        `the anonymize key has ${bytes.length} bytes; it needs at least ${MIN_KEY_BYTES} (openssl rand -base64 48)`,
      );
    this.#key = Buffer.from(bytes);
  }

  /** The raw HMAC of `purpose` and `value`. */
  digest(purpose: string, value: string): Buffer {
    return createHmac('sha256', this.#key).update(purpose).update('\u0000').update(value).digest();
  }

  /**
   * A DrChrono (or Deep Cura) record id → a 15-digit numeric id. One space for every table, `raw` and Deep Cura's
   * links, so a reference resolves to the same pseudonym wherever it appears (referential integrity).
   */
  pseudonymId(value: string): string {
    let out = this.#ids.get(value);
    if (out === undefined) {
      const n = this.digest('id', value).readBigUInt64BE(0) % PSEUDONYM_ID_SPAN;
      out = String(PSEUDONYM_ID_BASE + n);
      if (this.#ids.size >= CACHE_LIMIT) this.#ids.clear();
      this.#ids.set(value, out);
    }
    return out;
  }

  /** Days to shift every date of one subject (a patient): −180…−1 or +1…+180, never 0. */
  dateOffsetDays(subject: string): number {
    let out = this.#offsets.get(subject);
    if (out === undefined) {
      const n = this.digest('date', subject).readUInt32BE(0) % (2 * MAX_SHIFT_DAYS);
      out = n < MAX_SHIFT_DAYS ? n - MAX_SHIFT_DAYS : n - MAX_SHIFT_DAYS + 1;
      if (this.#offsets.size >= CACHE_LIMIT) this.#offsets.clear();
      this.#offsets.set(subject, out);
    }
    return out;
  }

  /** An unsigned 32-bit number derived from `value`, for picking fake names and tokens. */
  pick(purpose: string, value: string): number {
    return this.digest(purpose, value).readUInt32BE(0);
  }

  /** `length` characters of [A-Z0-9] derived from `value` (tokens: chart ids, member ids, trace numbers). */
  token(purpose: string, value: string, length: number): string {
    const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
    const bytes = this.digest(purpose, value);
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[bytes[i % bytes.length]! % alphabet.length];
    return out;
  }
}

/**
 * Reads key material: base64 of at least 32 bytes (`openssl rand -base64 48`), or any text of at least 32 bytes.
 * Surrounding whitespace (a trailing newline in a key file) is ignored.
 */
export function parseAnonymizeKey(text: string): PseudonymKey {
  const trimmed = text.trim();
  const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : undefined;
  return new PseudonymKey(decoded && decoded.length >= MIN_KEY_BYTES ? decoded : Buffer.from(trimmed, 'utf8'));
}
