import type { Logger } from '../observability/logger.js';

// The one place that knows what Postgres 16 refuses, so every value we write passes one rule instead of a patch
// per field. Inbound data (DrChrono, Deep Cura) is stored whenever it can be: a value Postgres would refuse is
// cleaned or nulled and counted as a warning (table, column, reason — never the value); `raw` keeps the original
// text, cleaned only as far as jsonb requires. The HTTP boundaries refuse with 400 only what cannot be stored
// meaningfully (a version timestamp, nesting deeper than MAX_JSON_DEPTH), using the checks exported here.
//
// Rules by column type:
// - text: NUL (U+0000) and lone UTF-16 surrogates become U+FFFD (text and jsonb reject them).
// - jsonb/json: every string and key cleaned as text; nesting deeper than MAX_JSON_DEPTH is cut (the subtree
//   becomes null) — the boundaries refuse such bodies first, so only synced data can reach the cut.
// - integer/smallint/bigint: an integer within the type's range, else null.
// - numeric(p,s): a plain decimal with at most p-s integer digits, else null; more than s decimals are rounded half
//   away from zero (as Postgres would) and counted, so a sub-cent amount is visible in the warnings, never silent.
// - text[]: an array of strings or numbers, each cleaned as text; anything else null.
// - date: `YYYY-MM-DD`, a real calendar date, year 0001–9999, else null.
// - timestamptz: ISO 8601 with `Z` or `±HH:MM`, real calendar and clock fields, year 0001–9999, else null.
//   (JS `toISOString()` writes years past 9999 as `+010000-…`, which this refuses.)
// - boolean: true/false, else null.
// - a column with a `CHECK (col IN (…))` (e.g. problems.icd_version IN (9, 10); patients.patient_status): a value
//   outside the list is stored as null with a warning; `raw` keeps it. We chose this over relaxing the constraint:
//   the typed column promises 9 or 10 to its readers (Coda, reports), and an ICD-11 or garbled version is still
//   visible in `raw`.

/** Deepest JSON nesting stored or accepted (objects and arrays each count one level; the root is level 1). */
export const MAX_JSON_DEPTH = 64;
/** Years Postgres `date`/`timestamptz`, JS `Date` and 4-digit ISO 8601 all represent without surprises. */
export const MIN_YEAR = 1;
export const MAX_YEAR = 9999;

/** Why a value was changed before it reached Postgres. Logged and counted, never with the value. */
export type PgValueIssue =
  | 'text_cleaned'
  | 'not_text'
  | 'json_cleaned'
  | 'json_too_deep'
  | 'out_of_range'
  | 'not_an_integer'
  | 'not_a_decimal'
  | 'decimal_rounded'
  | 'not_a_date'
  | 'not_an_instant'
  | 'not_a_boolean'
  | 'not_allowed'
  // Not a Postgres refusal: a status text the claim-status mapping does not know (DrChrono allows custom values). It
  // is stored as sent; the derived claim status falls back (sync/billing/claim-status.ts) and the count is reported.
  | 'unmapped_status';

/**
 * A mapper's verdict that a source value cannot be stored (e.g. a practice-local timestamp with month 13). The
 * normaliser stores null in its place and counts the reason, so mappers never throw and never count themselves.
 */
export class UnstorableValue {
  constructor(readonly reason: PgValueIssue) {}
}

/** A column as the normaliser needs it: its SQL type (`text`, `integer`, `timestamp with time zone`, …) and CHECK list. */
export interface PgColumnRule {
  readonly name: string;
  readonly type: string;
  /** Values a `CHECK (col IN (…))` allows, as text; undefined when unconstrained. */
  readonly allowed?: readonly string[];
}

/** Counts of cleaned or nulled values per table, column and reason; reported without values. */
export class PgValueWarnings {
  private readonly counts = new Map<string, number>();

  add(table: string, column: string, reason: PgValueIssue, count = 1): void {
    const key = `${table}\u0001${column}\u0001${reason}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + count);
  }

  /** Adds another collector's counts (e.g. a committed transaction's into the run's). */
  merge(other: PgValueWarnings): void {
    for (const w of other.entries()) this.add(w.table, w.column, w.reason, w.count);
  }

  entries(): { table: string; column: string; reason: PgValueIssue; count: number }[] {
    return [...this.counts].map(([key, count]) => {
      const [table, column, reason] = key.split('\u0001') as [string, string, PgValueIssue];
      return { table, column, reason, count };
    });
  }

  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  /** One warn line per table, column and reason: `{ table, column, reason, count, ...context }` — never a value. */
  log(logger: Logger, context: Record<string, unknown> = {}): void {
    for (const w of this.entries()) logger.warn({ ...context, ...w }, 'value cleaned or nulled before storage');
  }
}

// ---- text -------------------------------------------------------------------------------------------------

// NUL is exactly what these patterns exist to find (Postgres text and jsonb refuse it).
// eslint-disable-next-line no-control-regex
const UNSTORABLE_CHAR = /[\u0000\uD800-\uDFFF]/;
// eslint-disable-next-line no-control-regex
const UNSTORABLE_CHARS = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** True when `s` holds NUL or a lone surrogate (what Postgres text/jsonb cannot hold). */
export function hasUnstorableChars(s: string): boolean {
  return cleanText(s) !== s;
}

/** `s` with NUL and lone surrogates replaced by U+FFFD; the same string when there is nothing to replace. */
export function cleanText(s: string): string {
  return UNSTORABLE_CHAR.test(s) ? s.replace(UNSTORABLE_CHARS, '\uFFFD') : s;
}

// ---- json -------------------------------------------------------------------------------------------------

/**
 * The path (at most `MAX_REPORTED_SEGMENTS` segments, only identifier-like keys and indexes, so no free text from
 * the input) of the first place nested deeper than `limit`, or undefined. Stops descending at the limit, so it
 * never recurses more than `limit` deep whatever the input.
 */
export function jsonTooDeepAt(value: unknown, limit: number = MAX_JSON_DEPTH): string[] | undefined {
  const walk = (v: unknown, depth: number, path: (string | number)[]): (string | number)[] | undefined => {
    if (v === null || typeof v !== 'object') return undefined;
    if (depth > limit) return path;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const found = walk(v[i], depth + 1, [...path, i]);
        if (found) return found;
      }
      return undefined;
    }
    for (const key of Object.keys(v)) {
      const found = walk((v as Record<string, unknown>)[key], depth + 1, [...path, key]);
      if (found) return found;
    }
    return undefined;
  };
  const found = walk(value, 1, []);
  return found && safeFieldPath(found);
}

const MAX_REPORTED_SEGMENTS = 4;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * A field path fit to log and return: keys that look like field names and array indexes, cut at the first key
 * that does not (a key is input too), at most four segments. `['object', 'x', 0]` → `['object', 'x', '0']`.
 */
export function safeFieldPath(path: readonly (string | number | symbol)[]): string[] {
  const out: string[] = [];
  for (const segment of path) {
    if (out.length >= MAX_REPORTED_SEGMENTS) break;
    if (typeof segment === 'number' && Number.isInteger(segment) && segment >= 0) out.push(String(segment));
    else if (typeof segment === 'string' && FIELD_NAME.test(segment)) out.push(segment);
    else break;
  }
  return out;
}

/** `value` as jsonb can hold it (strings and keys cleaned, too-deep subtrees null), copied only where changed. */
function cleanJson(value: unknown, depth: number, found: { cleaned: number; cut: number }): unknown {
  if (typeof value === 'string') {
    const c = cleanText(value);
    if (c !== value) found.cleaned++;
    return c;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_JSON_DEPTH) {
    found.cut++;
    return null;
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const c = cleanJson(value[i], depth + 1, found);
      if (c !== value[i]) (copy ??= value.slice())[i] = c;
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const cleanKey = cleanText(key);
    const c = cleanJson(record[key], depth + 1, found);
    if (cleanKey !== key) {
      found.cleaned++;
      copy ??= { ...record };
      delete copy[key];
      copy[cleanKey] = c;
    } else if (c !== record[key]) {
      (copy ??= { ...record })[key] = c;
    }
  }
  return copy ?? value;
}

// ---- dates and instants -----------------------------------------------------------------------------------

const isLeap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** True for a real proleptic-Gregorian date with year MIN_YEAR–MAX_YEAR (no roll-over: Feb 30 is false). */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  if (!Number.isInteger(year) || year < MIN_YEAR || year > MAX_YEAR) return false;
  if (!Number.isInteger(month) || month < 1 || month > 12) return false;
  const days = month === 2 && isLeap(year) ? 29 : MONTH_DAYS[month - 1]!;
  return Number.isInteger(day) && day >= 1 && day <= days;
}

/** True for a wall-clock time 00:00:00–23:59:59 (no leap second, no 24:00). */
export function isClockTime(hour: number, minute: number, second: number): boolean {
  return hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|z|([+-])(\d{2}):?(\d{2}))$/;

/** `YYYY-MM-DD` naming a real date in years 0001–9999. */
export function isPgDate(s: string): boolean {
  const m = DATE.exec(s);
  return m !== null && isCalendarDate(+m[1]!, +m[2]!, +m[3]!);
}

/**
 * ISO 8601 with a zone (`Z` or `±HH:MM`): real date and clock fields in years 0001–9999, offset under ±16 h, and
 * the instant itself also within years 0001–9999 UTC. Refuses `+010000-…` and what `Date` would roll over.
 */
export function isPgInstant(s: string): boolean {
  const m = INSTANT.exec(s);
  if (!m || !isCalendarDate(+m[1]!, +m[2]!, +m[3]!) || !isClockTime(+m[4]!, +m[5]!, +(m[6] ?? 0))) return false;
  if (m[7] && (+m[8]! > 15 || +m[9]! > 59)) return false;
  const ms = Date.parse(s.replace(' ', 'T'));
  if (!Number.isFinite(ms)) return false;
  const year = new Date(ms).getUTCFullYear();
  return year >= MIN_YEAR && year <= MAX_YEAR;
}

// ---- numbers ----------------------------------------------------------------------------------------------

const INT_RANGES: Record<string, readonly [bigint, bigint]> = {
  smallint: [-(2n ** 15n), 2n ** 15n - 1n],
  integer: [-(2n ** 31n), 2n ** 31n - 1n],
  bigint: [-(2n ** 63n), 2n ** 63n - 1n],
};
const INTEGER_TEXT = /^[+-]?\d{1,30}$/;
const DECIMAL_TEXT = /^[+-]?(\d*)(?:\.(\d*))?$/;
const NUMERIC_TYPE = /^numeric\((\d+)(?:,\s*(\d+))?\)$/;

function pgInteger(type: string, value: unknown): { value: number | string | null; issue?: PgValueIssue } {
  const [min, max] = INT_RANGES[type]!;
  let n: bigint;
  if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
  else if (typeof value === 'string' && INTEGER_TEXT.test(value)) n = BigInt(value);
  else return { value: null, issue: 'not_an_integer' };
  if (n < min || n > max) return { value: null, issue: 'out_of_range' };
  return { value: type === 'bigint' ? n.toString() : Number(n) };
}

function pgNumeric(type: string, value: unknown): { value: string | null; issue?: PgValueIssue } {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  const m = typeof text === 'string' ? DECIMAL_TEXT.exec(text) : null;
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) return { value: null, issue: 'not_a_decimal' };
  const spec = NUMERIC_TYPE.exec(type);
  if (!spec) return { value: text as string };
  const precision = +spec[1]!;
  const scale = +(spec[2] ?? 0);
  const fraction = m[2] ?? '';
  const rounded = fraction.length > scale ? roundDecimal(text as string, scale) : (text as string);
  const integerDigits = (DECIMAL_TEXT.exec(rounded)?.[1] ?? '').replace(/^0+/, '');
  if (integerDigits.length > precision - scale) return { value: null, issue: 'out_of_range' };
  return rounded === text ? { value: rounded } : { value: rounded, issue: 'decimal_rounded' };
}

/** `text` (a plain decimal) rounded half away from zero to `scale` decimals, in exact decimal arithmetic. */
function roundDecimal(text: string, scale: number): string {
  const negative = text.startsWith('-');
  const [whole = '', fraction = ''] = text.replace(/^[+-]/, '').split('.');
  const kept = BigInt(`${whole || '0'}${fraction.slice(0, scale)}`);
  const carry = (fraction[scale] ?? '0') >= '5' ? 1n : 0n;
  const digits = (kept + carry).toString().padStart(scale + 1, '0');
  const out = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative && /[1-9]/.test(out) ? `-${out}` : out;
}

/** An array of strings or numbers, each cleaned as text; null for anything else (nested arrays, objects). */
function pgTextArray(value: unknown): { value: string[] | null; issue?: PgValueIssue } {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' || typeof v === 'number'))
    return { value: null, issue: 'not_text' };
  const strings = value.map(String);
  const cleaned = strings.map(cleanText);
  return cleaned.some((c, i) => c !== strings[i]) ? { value: cleaned, issue: 'text_cleaned' } : { value: cleaned };
}

// ---- the rule ---------------------------------------------------------------------------------------------

/**
 * The value Postgres will accept for a column of `column.type`, and why it had to change (undefined when it did
 * not). null/undefined stay null. This is the single normalisation step for every value we write.
 */
export function pgValue(column: PgColumnRule, value: unknown): { value: unknown; issue?: PgValueIssue } {
  if (value === null || value === undefined) return { value: null };
  if (value instanceof UnstorableValue) return { value: null, issue: value.reason };
  const result = byType(column.type, value);
  if (column.allowed && result.value !== null && !column.allowed.includes(String(result.value))) {
    return { value: null, issue: 'not_allowed' };
  }
  return result;
}

function byType(type: string, value: unknown): { value: unknown; issue?: PgValueIssue } {
  switch (type) {
    case 'text':
    case 'varchar':
    case 'character varying': {
      const s = typeof value === 'string' ? value : String(value);
      const c = cleanText(s);
      return c === s ? { value: s } : { value: c, issue: 'text_cleaned' };
    }
    case 'jsonb':
    case 'json': {
      const found = { cleaned: 0, cut: 0 };
      const c = cleanJson(value, 1, found);
      return {
        value: c,
        ...(found.cut > 0
          ? { issue: 'json_too_deep' as const }
          : found.cleaned > 0
            ? { issue: 'json_cleaned' as const }
            : {}),
      };
    }
    case 'smallint':
    case 'integer':
    case 'bigint':
      return pgInteger(type, value);
    case 'date':
      return typeof value === 'string' && isPgDate(value) ? { value } : { value: null, issue: 'not_a_date' };
    case 'timestamp with time zone':
    case 'timestamptz':
      return typeof value === 'string' && isPgInstant(value) ? { value } : { value: null, issue: 'not_an_instant' };
    case 'boolean':
      return typeof value === 'boolean' ? { value } : { value: null, issue: 'not_a_boolean' };
    case 'text[]':
      return pgTextArray(value);
    default:
      if (type.startsWith('numeric')) return pgNumeric(type, value);
      // A type this module does not know yet: refuse at once (a programming error), not on some future input.
      throw new Error(`pg-values: no rule for SQL type ${type}; add one`);
  }
}

/** A normalised copy of one row (keyed by SQL column name); each change is counted in `warnings`. */
export function pgRow<T extends Record<string, unknown>>(
  table: string,
  columns: readonly PgColumnRule[],
  row: T,
  warnings?: PgValueWarnings,
): T {
  const out: Record<string, unknown> = {};
  for (const column of columns) {
    if (!(column.name in row)) continue;
    const result = pgValue(column, row[column.name]);
    if (result.issue) warnings?.add(table, column.name, result.issue);
    out[column.name] = result.value;
  }
  return out as T;
}

/** Parses `col IN (a, 'b', …)` (the CHECK form schema/columns.ts `oneOf` and the icd_version check use). */
export function allowedValuesOf(checkSql: string): { column: string; values: string[] } | undefined {
  const m = /^\s*\(?"?([a-z_][a-z0-9_]*)"?\s+IN\s+\((.*)\)\)?\s*$/i.exec(checkSql);
  if (!m) return undefined;
  const values = m[2]!.split(',').map((v) =>
    v
      .trim()
      .replace(/^'(.*)'$/, '$1')
      .replaceAll("''", "'"),
  );
  return { column: m[1]!, values };
}
