/** Thrown for a DrChrono timestamp or date that is not in the documented format. */
export class InvalidTimestampError extends Error {
  override name = 'InvalidTimestampError';
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Wall-clock fields of `epochMs` in `timeZone`. */
function wallClock(epochMs: number, timeZone: string) {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(epochMs)).map((p) => [p.type, p.value]));
  return { y: +parts.year!, mo: +parts.month!, d: +parts.day!, h: +parts.hour!, mi: +parts.minute!, s: +parts.second! };
}

const offsets = new Map<string, number>();
const QUARTER_HOUR_MS = 15 * 60_000;

/**
 * The zone's UTC offset at an instant. Offsets only change on quarter-hour boundaries, so one Intl call per zone and
 * quarter hour is enough — a full sync converts millions of timestamps, and formatToParts costs microseconds each.
 */
function offsetMs(epochMs: number, timeZone: string): number {
  const key = `${timeZone}|${Math.floor(epochMs / QUARTER_HOUR_MS)}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const w = wallClock(epochMs, timeZone);
    offset = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - Math.floor(epochMs / 1000) * 1000;
    if (offsets.size > 100_000) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

/**
 * DrChrono sends zone-less practice-local timestamps (`2026-03-04T10:15:00`); this returns the instant as ISO 8601
 * UTC. A time skipped by a DST change resolves forward, a repeated one to its first occurrence.
 */
export function practiceLocalToUtc(local: string, timeZone: string): string {
  const m = LOCAL.exec(local);
  if (!m) throw new InvalidTimestampError('expected a zone-less timestamp YYYY-MM-DDTHH:MM[:SS]');
  const [, y, mo, d, h, mi, s, frac] = m;
  const ms = frac ? Number(frac.padEnd(3, '0').slice(0, 3)) : 0;
  const asUtc = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +(s ?? 0), ms);
  let guess = asUtc - offsetMs(asUtc, timeZone);
  guess = asUtc - offsetMs(guess, timeZone);
  return new Date(guess).toISOString();
}

/** The instant as DrChrono writes it: zone-less wall-clock time in the practice's zone (for `since`). */
export function utcToPracticeLocal(instant: Date, timeZone: string): string {
  const w = wallClock(instant.getTime(), timeZone);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${w.y}-${p(w.mo)}-${p(w.d)}T${p(w.h)}:${p(w.mi)}:${p(w.s)}`;
}
