// The generalisations HIPAA Safe Harbor (45 CFR §164.514(b)(2)(i)) prescribes, as data.

/**
 * Three-digit ZIP prefixes whose combined population is 20,000 or fewer (Census 2000, the list HHS guidance cites):
 * these become `000`. Every other ZIP keeps its first three digits only.
 */
export const RESTRICTED_ZIP3 = [
  '036',
  '059',
  '063',
  '102',
  '203',
  '556',
  '692',
  '790',
  '821',
  '823',
  '830',
  '831',
  '878',
  '879',
  '884',
  '890',
  '893',
] as const;
const restricted = new Set<string>(RESTRICTED_ZIP3);

/** A ZIP (5 digits, ZIP+4, anything with digits) → its 3-digit area, `000` when restricted or unreadable. */
export function generaliseZip(zip: string): string {
  const digits = zip.replace(/\D/g, '');
  if (digits.length < 3) return '000';
  const zip3 = digits.slice(0, 3);
  return restricted.has(zip3) ? '000' : zip3;
}

/** Ages above this are aggregated into one "90 or older" bucket. */
export const MAX_REPORTED_AGE = 89;

/** Whole years between a `YYYY-MM-DD` birth date and `today` (`YYYY-MM-DD`). */
export function ageOn(birthDate: string, today: string): number {
  const [by, bm, bd] = birthDate.slice(0, 10).split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = today.slice(0, 10).split('-').map(Number) as [number, number, number];
  return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
}

/** The birth date every person older than 89 gets: 1 January, 90 years before `today`'s year (age 90 or 89½+). */
export function ninetyPlusBirthDate(today: string): string {
  return `${Number(today.slice(0, 4)) - (MAX_REPORTED_AGE + 1)}-01-01`;
}
