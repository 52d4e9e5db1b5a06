import { isCalendarDate, isClockTime } from './db/pg-values.js';

/** Thrown for a DrChrono timestamp or date that is not in the documented format or names no real time. */
export class InvalidTimestampError extends Error {
  override name = 'InvalidTimestampError';
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Wall-clock fields of `epochMs` in `timeZone`. */
function wallClock(epochMs: number, timeZone: string) {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(new Date(epochMs))
      .map((p) => [p.type, p.value]),
  );
  return { y: +parts.year!, mo: +parts.month!, d: +parts.day!, h: +parts.hour!, mi: +parts.minute!, s: +parts.second! };
}

const DAY_MS = 86_400_000;
const QUARTER_HOUR_MS = 15 * 60_000;
/** Per zone: UTC day → the offset that holds all day, or null when the offset changes that day. */
const dayOffsets = new Map<string, Map<number, number | null>>();
/** Per zone: quarter hour → offset, only for days with a change (offsets only change on quarter hours). */
const quarterOffsets = new Map<string, Map<number, number>>();

/** Date.UTC without its quirk of reading years 0–99 as 1900–1999. */
function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): number {
  const t = new Date(Date.UTC(2000, mo - 1, d, h, mi, s, ms));
  t.setUTCFullYear(y, mo - 1, d);
  return t.getTime();
}

function exactOffsetMs(epochMs: number, timeZone: string): number {
  const w = wallClock(epochMs, timeZone);
  return utcMs(w.y, w.mo, w.d, w.h, w.mi, w.s) - Math.floor(epochMs / 1000) * 1000;
}

function cached<K, V>(outer: Map<string, Map<K, V>>, timeZone: string): Map<K, V> {
  let inner = outer.get(timeZone);
  if (!inner || inner.size > 100_000) outer.set(timeZone, (inner = new Map()));
  return inner;
}

/**
 * The zone's UTC offset at an instant. A full sync converts millions of timestamps and formatToParts costs
 * microseconds, so offsets are cached per UTC day (two Intl calls per zone and day: same offset at both ends means
 * no change that day) and, on the few days with a DST change, per quarter hour.
 */
function offsetMs(epochMs: number, timeZone: string): number {
  const days = cached(dayOffsets, timeZone);
  const day = Math.floor(epochMs / DAY_MS);
  let offset = days.get(day);
  if (offset === undefined) {
    const start = exactOffsetMs(day * DAY_MS, timeZone);
    offset = start === exactOffsetMs((day + 1) * DAY_MS - 1000, timeZone) ? start : null;
    days.set(day, offset);
  }
  if (offset !== null) return offset;
  const quarters = cached(quarterOffsets, timeZone);
  const quarter = Math.floor(epochMs / QUARTER_HOUR_MS);
  let exact = quarters.get(quarter);
  if (exact === undefined) quarters.set(quarter, (exact = exactOffsetMs(epochMs, timeZone)));
  return exact;
}

/**
 * DrChrono sends zone-less practice-local timestamps (`2026-03-04T10:15:00`); this returns the instant as ISO 8601
 * UTC. A wall-clock time that happens twice (clocks going back) is its first occurrence; one that never happens
 * (clocks going forward) moves forward by the gap, as a clock on the wall would (02:30 → 03:30 EDT).
 */
export function practiceLocalToUtc(local: string, timeZone: string): string {
  const m = LOCAL.exec(local);
  if (!m) throw new InvalidTimestampError('expected a zone-less timestamp YYYY-MM-DDTHH:MM[:SS]');
  const [, y, mo, d, h, mi, s, frac] = m;
  // Date.UTC rolls impossible fields over (month 13 → next year, 2026-02-30 → March 2) and maps years 0–99 to
  // 1900–1999 (0000-00-00 → 1899-11-30): check every field, and set the year separately.
  if (!isCalendarDate(+y!, +mo!, +d!))
    throw new InvalidTimestampError('expected a real calendar date with year 0001–9999');
  if (!isClockTime(+h!, +mi!, +(s ?? 0))) throw new InvalidTimestampError('expected a clock time 00:00:00–23:59:59');
  const ms = frac ? Number(frac.padEnd(3, '0').slice(0, 3)) : 0;
  const asUtc = utcMs(+y!, +mo!, +d!, +h!, +mi!, +(s ?? 0), ms);
  // The offsets a day either side; a change in between happens at most once. Keep the readings that are consistent.
  const before = offsetMs(asUtc - DAY_MS, timeZone);
  const after = offsetMs(asUtc + DAY_MS, timeZone);
  let instant = asUtc - before;
  if (after !== before) {
    const valid = [asUtc - before, asUtc - after].filter(
      (candidate) => offsetMs(candidate, timeZone) === asUtc - candidate,
    );
    if (valid.length > 0) instant = Math.min(...valid);
  }
  return new Date(instant).toISOString();
}

/** The instant as DrChrono writes it: zone-less wall-clock time in the practice's zone (for `since`). */
export function utcToPracticeLocal(instant: Date, timeZone: string): string {
  const w = wallClock(instant.getTime(), timeZone);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${w.y}-${p(w.mo)}-${p(w.d)}T${p(w.h)}:${p(w.mi)}:${p(w.s)}`;
}
