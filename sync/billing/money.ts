// Amounts as integer cents (bigint), so sums and comparisons are exact. Postgres returns numeric as text; DrChrono's
// amounts have two decimals (numeric(12,2) columns), so text → cents never rounds.

/** `"-12.5"` → -1250n; null/empty → 0n. */
export function toCents(value: string | null | undefined): bigint {
  if (value === null || value === undefined || value === '') return 0n;
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(value.trim());
  if (!m) throw new Error(`toCents: not a decimal amount (${value.length} characters)`);
  const cents = BigInt(m[2] || '0') * 100n + BigInt(((m[3] ?? '') + '00').slice(0, 2));
  return m[1] === '-' ? -cents : cents;
}

/** -1250n → `"-12.50"`. */
export function fromCents(cents: bigint): string {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  const text = `${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
  return negative ? `-${text}` : text;
}

export function sumCents(values: readonly (string | null | undefined)[]): bigint {
  let total = 0n;
  for (const v of values) total += toCents(v);
  return total;
}
