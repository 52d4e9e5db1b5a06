import { drchronoDefaultPageSize, drchronoPageCaps } from '../../contract/drchrono-api.js';
import type { DrChronoRecord } from '../synthetic/dataset.js';
import { BadRequest } from './errors.js';
import { listFilter } from './filters.js';
import type { Serializer } from './serialize.js';
import type { EndpointName, SandboxStore, ScanResult } from './store.js';

/** DrChrono's cursor-paginated list body. */
export interface ListPage {
  readonly previous: string | null;
  readonly next: string | null;
  readonly results: DrChronoRecord[];
}

/** A page's start slot `s` and where the previous page started: `p` = -1 for the first page, null when unknown. */
interface Cursor {
  s: number;
  p: number | null;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/**
 * The list cursor that starts a page at a given slot (0-based position in list order, before filtering). Clients treat
 * cursors as opaque and follow `next`; tests use this to jump straight to a deep page.
 */
export function listCursorForSlot(slot: number): string {
  return encodeCursor({ s: slot, p: null });
}

function decodeCursor(raw: string): Cursor | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null) return null;
    const { s, p } = value as Record<string, unknown>;
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) return null;
    if (p !== null && (typeof p !== 'number' || !Number.isSafeInteger(p) || p < -1)) return null;
    return { s, p };
  } catch {
    return null;
  }
}

export interface ListPagerOptions {
  readonly store: SandboxStore;
  readonly serialize: Serializer;
  /** The dataset's epoch timestamp: no generated record is newer. */
  readonly epochTimestamp: string;
  /** Most slots one request examines before returning a (possibly short) page with a `next` link. */
  readonly scanBudget: number;
}

/**
 * Answers list requests like DrChrono: `page_size` up to the resource's cap (lower with `verbose=true`), opaque
 * `cursor` links for `next` and `previous`, filters from {@link listFilter}.
 * @throws BadRequest (from the returned function) for a bad filter or cursor.
 */
export function createListPager(options: ListPagerOptions): (url: URL, resource: EndpointName) => ListPage {
  const { store, serialize, epochTimestamp, scanBudget } = options;
  return function listPage(url, resource) {
    const q = url.searchParams;
    const verbose = q.get('verbose') === 'true';
    const caps = drchronoPageCaps[resource];
    const max = verbose ? caps.verboseMax : caps.max;
    const requested = Number.parseInt(q.get('page_size') ?? '', 10);
    const pageSize = Math.min(Number.isInteger(requested) && requested > 0 ? requested : drchronoDefaultPageSize, max);
    const { match, scope, overlayOnly } = listFilter(resource, q, epochTimestamp);

    const table = store[resource];
    const scan = (from: number, direction: 1 | -1, limit: number): ScanResult =>
      table.scan({ from, direction, limit, budget: scanBudget, match, scope, overlayOnly });
    return cursorPage(url, pageSize, scan, (record) => serialize(resource, record, verbose));
  };
}

/** Scans list order from a slot (forward, or backward from the slot before it) for at most `limit` matches. */
export type PageScan = (from: number, direction: 1 | -1, limit: number) => ScanResult;

/**
 * One page of a cursor-paginated list: reads `cursor` from the URL, scans `pageSize` (+1 to know about a next page)
 * matches and builds the `next`/`previous` links. Shared by every list the sandbox serves.
 * @throws BadRequest for a malformed cursor.
 */
export function cursorPage(
  url: URL,
  pageSize: number,
  scan: PageScan,
  serializeRecord: (record: DrChronoRecord) => DrChronoRecord,
): ListPage {
  const rawCursor = url.searchParams.get('cursor');
  const cursor = rawCursor === null ? { s: 0, p: -1 } : decodeCursor(rawCursor);
  if (!cursor) throw new BadRequest({ detail: 'Invalid cursor' });
  const forward = scan(cursor.s, 1, pageSize + 1);
  const results = forward.items.slice(0, pageSize);
  const nextStart = forward.items.length > pageSize ? forward.items[pageSize]!.slot : forward.resume;

  const linkTo = (c2: Cursor | 'first'): string => {
    const link = new URL(url);
    if (c2 === 'first') link.searchParams.delete('cursor');
    else link.searchParams.set('cursor', encodeCursor(c2));
    return link.toString();
  };
  let previous: string | null = null;
  if (rawCursor !== null) {
    if (cursor.p === -1) previous = linkTo('first');
    else if (cursor.p !== null) previous = linkTo({ s: cursor.p, p: null });
    else {
      const back = scan(cursor.s, -1, pageSize);
      if (back.items.length === pageSize || (back.resume !== null && back.items.length > 0)) {
        previous = linkTo({ s: back.items[back.items.length - 1]!.slot, p: null });
      } else if (back.items.length > 0) previous = linkTo('first');
    }
  }
  const next = nextStart === null ? null : linkTo({ s: nextStart, p: rawCursor === null ? -1 : cursor.s });
  return { previous, next, results: results.map((item) => serializeRecord(item.record)) };
}
