// Decimal numbers as text. Lab values and reference bounds are compared exactly, digit by digit: a float would turn
// "0.1" into 0.1000000000000000055…, and a bound is a clinical threshold that must not move.

/** An optionally signed decimal without exponent: `5`, `-2`, `0.6`, `.5`, `+3.`. */
export const DECIMAL_PATTERN = '[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)';
const DECIMAL = new RegExp(`^${DECIMAL_PATTERN}$`);

/**
 * The trimmed text when it is one decimal number (a leading `+` dropped), else null. Never throws.
 * @example parseDecimal(' 1.20 ') // '1.20'
 */
export function parseDecimal(text: string | null | undefined): string | null {
  if (typeof text !== 'string') return null;
  const trimmed = text.trim();
  if (!DECIMAL.test(trimmed)) return null;
  return trimmed.startsWith('+') ? trimmed.slice(1) : trimmed;
}

interface Parts {
  readonly negative: boolean;
  /** Integer digits without leading zeros ('' for zero). */
  readonly whole: string;
  /** Fraction digits without trailing zeros. */
  readonly fraction: string;
}

function parts(decimal: string): Parts {
  const negative = decimal.startsWith('-');
  const unsigned = decimal.replace(/^[+-]/, '');
  const [wholeRaw = '', fractionRaw = ''] = unsigned.split('.');
  const whole = wholeRaw.replace(/^0+/, '');
  const fraction = fractionRaw.replace(/0+$/, '');
  // -0 and 0 are the same number.
  return { negative: negative && (whole !== '' || fraction !== ''), whole, fraction };
}

function compareMagnitude(a: Parts, b: Parts): -1 | 0 | 1 {
  if (a.whole.length !== b.whole.length) return a.whole.length < b.whole.length ? -1 : 1;
  if (a.whole !== b.whole) return a.whole < b.whole ? -1 : 1;
  const width = Math.max(a.fraction.length, b.fraction.length);
  const fa = a.fraction.padEnd(width, '0');
  const fb = b.fraction.padEnd(width, '0');
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

/**
 * Exact comparison of two decimals as returned by {@link parseDecimal}: -1 when a < b, 0 when equal, 1 when a > b.
 * @throws Error when either argument is not a decimal (callers parse first).
 */
export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  if (!DECIMAL.test(a) || !DECIMAL.test(b)) throw new Error('compareDecimal: arguments must be decimal strings');
  const pa = parts(a);
  const pb = parts(b);
  if (pa.negative !== pb.negative) return pa.negative ? -1 : 1;
  const magnitude = compareMagnitude(pa, pb);
  return pa.negative ? ((-magnitude || 0) as -1 | 0 | 1) : magnitude;
}
