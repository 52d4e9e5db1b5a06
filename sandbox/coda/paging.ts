import { CodaApiError } from './errors.js';

/** Page size when `limit` is absent, for rows and columns (overridable per sandbox). */
export const DEFAULT_PAGE_SIZE = 100;
/** Largest `limit` Coda honours on a rows list; larger values are lowered to it. */
export const MAX_ROWS_PAGE_SIZE = 500;
/** Largest `limit` Coda honours on a columns list. */
export const MAX_COLUMNS_PAGE_SIZE = 100;

/** An opaque `pageToken`: the position to resume from, as base64url JSON. */
export function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * Reads `field` (a non-negative integer) from a `pageToken`; an absent or empty token is 0.
 * @throws CodaApiError 400 for a token this sandbox did not issue.
 */
export function decodeToken(token: string | undefined, field: 'after' | 'offset'): number {
  if (token === undefined || token === '') return 0;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const n = (parsed as Record<string, unknown> | null)?.[field];
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return n;
  } catch {
    // fall through
  }
  throw new CodaApiError(400, 'Invalid pageToken.');
}

/**
 * The page size for a `limit` query value: `fallback` when absent, at most `max`.
 * @throws CodaApiError 400 unless a positive integer.
 */
export function parseLimit(raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return Math.min(fallback, max);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new CodaApiError(400, 'limit must be a positive integer.');
  return Math.min(n, max);
}
