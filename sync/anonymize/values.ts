import type { PseudonymKey } from './key.js';
import { ageOn, generaliseZip, MAX_REPORTED_AGE, ninetyPlusBirthDate } from './safe-harbor.js';

// Value-level transforms shared by typed columns and the `raw` walker. Every function is total: any string in, a
// de-identified string out, so an unexpected value can never pass through unchanged.

/** How dates are de-identified. */
export interface DatePolicy {
  /** `shift`: by the subject's keyed offset (expert determination). `year`: strict Safe Harbor, year only. */
  readonly mode: 'shift' | 'year';
  /** Today, `YYYY-MM-DD`: the reference for ages over 89. */
  readonly today: string;
}

const DATE_PREFIX = /^(\d{4})-(\d{2})-(\d{2})/;
const TIME_OF_DAY = /(\d{2}):(\d{2})(:\d{2}(\.\d+)?)?/;

/** Whether a string starts like an ISO date or a Postgres date/timestamp (`2026-03-01`, `2026-03-01T10:00:00`, …). */
export const looksLikeDate = (value: string): boolean => DATE_PREFIX.test(value) && value.length <= 40;

/** `YYYY-MM-DD` plus `days`, in the proleptic Gregorian calendar (UTC arithmetic: no zone, no DST). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d); // setUTCFullYear, unlike Date.UTC, keeps years 0–99 as they are
  t.setTime(t.getTime() + days * 86_400_000);
  return `${String(t.getUTCFullYear()).padStart(4, '0')}-${String(t.getUTCMonth() + 1).padStart(2, '0')}-${String(t.getUTCDate()).padStart(2, '0')}`;
}

/**
 * Shifts the date part of a date or timestamp string by `offsetDays` (time of day and zone kept), or in `year` mode
 * keeps the year only (`YYYY-01-01`, time `00:00:00`). A string that is not a date becomes null.
 */
export function deidentifyDate(value: string, offsetDays: number, policy: DatePolicy): string | null {
  const match = DATE_PREFIX.exec(value);
  if (!match) return null;
  const rest = value.slice(10);
  if (policy.mode === 'year') return `${match[1]}-01-01${rest.replace(TIME_OF_DAY, '00:00:00')}`;
  return `${addDays(match[0], offsetDays)}${rest}`;
}

/** A date of birth: over 89 → the 90+ bucket's date; otherwise like any other date. */
export function deidentifyBirthDate(value: string, offsetDays: number, policy: DatePolicy): string | null {
  if (!DATE_PREFIX.test(value)) return null;
  if (ageOn(value, policy.today) > MAX_REPORTED_AGE) return `${ninetyPlusBirthDate(policy.today)}${value.slice(10)}`;
  return deidentifyDate(value, offsetDays, policy);
}

const PLACEHOLDER =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore. ';

/** Neutral text of the same length (a long note stays long, an empty one empty); nothing of the source survives. */
export function placeholderText(value: string): string {
  if (value.length === 0) return '';
  return PLACEHOLDER.repeat(Math.ceil(value.length / PLACEHOLDER.length))
    .slice(0, value.length)
    .trimEnd()
    .padEnd(value.length, '.');
}

const FIRST_NAMES = [
  'Avery',
  'Blair',
  'Casey',
  'Dana',
  'Emery',
  'Finley',
  'Gray',
  'Harper',
  'Indigo',
  'Jules',
  'Kai',
  'Lane',
  'Morgan',
  'Noel',
  'Oakley',
  'Parker',
  'Quinn',
  'Reese',
  'Sage',
  'Tatum',
  'Umber',
  'Vale',
  'Wren',
  'Yael',
];
const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ne',
  'ro',
  'su',
  'ta',
  've',
  'zo',
  'bri',
  'dal',
  'fen',
  'gor',
  'hul',
  'jin',
  'pax',
];

/** A readable fake name derived from the value (`Quinn Lomizo`-like), same value → same name. */
export function fakeName(key: PseudonymKey, value: string, part: 'first' | 'last' | 'full'): string {
  const n = key.pick('name', value);
  const first = FIRST_NAMES[n % FIRST_NAMES.length]!;
  let last = '';
  for (let i = 0, m = Math.floor(n / FIRST_NAMES.length); i < 3; i++, m = Math.floor(m / SYLLABLES.length))
    last += SYLLABLES[m % SYLLABLES.length];
  last = `${last[0]!.toUpperCase()}${last.slice(1)}`;
  return part === 'first' ? first : part === 'last' ? last : `${first} ${last}`;
}

/** `p-<hex>@example.invalid`: a reserved domain (RFC 2606), lower case as staff_roles requires. */
export const fakeEmail = (key: PseudonymKey, value: string): string =>
  `p-${key.digest('email', value.toLowerCase()).toString('hex').slice(0, 12)}@example.invalid`;

/** A fictional number, 555-01xx (reserved for fiction by NANPA). */
export const fakePhone = (key: PseudonymKey, value: string): string =>
  `555-555-01${String(key.pick('phone', value) % 100).padStart(2, '0')}`;

/** A keyed token for other identifying numbers (chart ids, member and group numbers, trace numbers). */
export const fakeToken = (key: PseudonymKey, value: string): string =>
  `X${key.token('token', value, Math.min(Math.max(value.length, 6), 16) - 1)}`;

export { generaliseZip };
