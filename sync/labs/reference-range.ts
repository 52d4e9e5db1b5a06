import { DECIMAL_PATTERN, compareDecimal } from './decimal.js';

// Lab reference ranges ("normal_range") as text. DrChrono documents one form — `"<lower> <upper>"`, space separated,
// required when `value_is_numeric` is true — but results imported from labs (HL7) carry what the lab printed:
// "3.5-5.0", "<5", "≥ 60", "0.6-1.2 mEq/L", "negative". This reads all of them without guessing: anything that is
// not clearly one of the numeric forms is kept as kind 'text', which callers treat as "cannot compare".

/** A parsed reference range. Bounds stay decimal strings (never floats), exactly as the lab wrote them. */
export interface ReferenceRange {
  /** Lower bound, or null when there is none. */
  readonly low: string | null;
  /** Upper bound, or null when there is none. */
  readonly high: string | null;
  /**
   * `interval` low..high; `upper_bound` "<5"/"<=5"; `lower_bound` ">60"/"≥ 60"; `text` anything else, including
   * qualitative ranges ("negative") and reversed bounds; `empty` no range at all.
   */
  readonly kind: 'interval' | 'upper_bound' | 'lower_bound' | 'text' | 'empty';
  /** Whether a value equal to `low` is inside the range (false when there is no low bound). */
  readonly lowInclusive: boolean;
  /** Whether a value equal to `high` is inside the range (false when there is no high bound). */
  readonly highInclusive: boolean;
  /** The trimmed original text (for display), null when empty. */
  readonly text: string | null;
}

const N = `(${DECIMAL_PATTERN})`;
// A unit after the last number: starts with something that cannot continue or start a number ("mEq/L", "%", "/uL").
const UNIT = '(?:\\s*([^\\s\\d.+\\-<>=≤≥][\\s\\S]*))?';

/** Interval forms, tried in this order; the first that matches decides (see parseReferenceRange on reversed bounds). */
const INTERVAL_FORMS: readonly RegExp[] = [
  new RegExp(`^${N}\\s+${N}${UNIT}$`), // DrChrono's documented "<lower> <upper>"; also "-5 -2"
  new RegExp(`^${N}\\s*[-–—]\\s*${N}${UNIT}$`), // "3.5-5.0", "3.5 - 5.0", "0.6-1.2 mEq/L"
  new RegExp(`^${N}\\s+to\\s+${N}${UNIT}$`, 'i'), // "3.5 to 5.0"
];
const BOUND_FORM = new RegExp(`^(<=|=<|≤|<|>=|=>|≥|>)\\s*${N}${UNIT}$`);

interface Parsed {
  readonly range: ReferenceRange;
  readonly unit: string | null;
}

const stripPlus = (n: string): string => (n.startsWith('+') ? n.slice(1) : n);

function parse(text: string | null | undefined): Parsed {
  const trimmed = typeof text === 'string' ? text.trim() : '';
  if (trimmed === '') {
    return {
      range: { low: null, high: null, kind: 'empty', lowInclusive: false, highInclusive: false, text: null },
      unit: null,
    };
  }
  const asText: Parsed = {
    range: { low: null, high: null, kind: 'text', lowInclusive: false, highInclusive: false, text: trimmed },
    unit: null,
  };
  for (const form of INTERVAL_FORMS) {
    const m = form.exec(trimmed);
    if (!m) continue;
    const low = stripPlus(m[1]!);
    const high = stripPlus(m[2]!);
    // Reversed bounds are not swapped: "5 3" may be a typo for "3 5" or for "5 30"; a guessed range could call an
    // abnormal value normal. The range is unusable, so it is 'text'. Equal bounds are a (degenerate) interval.
    if (compareDecimal(low, high) > 0) return asText;
    return {
      range: { low, high, kind: 'interval', lowInclusive: true, highInclusive: true, text: trimmed },
      unit: m[3]?.trim() || null,
    };
  }
  const b = BOUND_FORM.exec(trimmed);
  if (b) {
    const operator = b[1]!;
    const bound = stripPlus(b[2]!);
    const unit = b[3]?.trim() || null;
    const inclusive = operator.length === 2 || operator === '≤' || operator === '≥';
    if (operator.includes('<') || operator === '≤') {
      return {
        range: {
          low: null,
          high: bound,
          kind: 'upper_bound',
          lowInclusive: false,
          highInclusive: inclusive,
          text: trimmed,
        },
        unit,
      };
    }
    return {
      range: {
        low: bound,
        high: null,
        kind: 'lower_bound',
        lowInclusive: inclusive,
        highInclusive: false,
        text: trimmed,
      },
      unit,
    };
  }
  return asText;
}

/**
 * Parses a lab result's `normal_range`. Never throws; null, undefined and whitespace give kind 'empty'.
 *
 * Accepted numeric forms (a trailing unit is allowed and kept out of the numbers): `"3.5 5.0"` (DrChrono's documented
 * form), `"3.5-5.0"`, `"3.5 - 5.0"`, `"3.5 to 5.0"`, `"<5"`, `"<=5"`, `"≤5"`, `">60"`, `">=60"`, `"≥ 60"`. Interval
 * bounds are inclusive (a reference interval contains its limits); `<`/`>` are exclusive, `<=`/`≥` inclusive.
 * Negative numbers work (`"-2 2"`, `"-5 -2"`). Reversed bounds (`"5 3"`) are kind 'text': unusable, never swapped.
 * The first matching form decides, so `"3.5 -5.0"` is DrChrono's form with a reversed upper bound (text), not 3.5–5.0.
 *
 * @example parseReferenceRange('0.6-1.2 mEq/L') // { low: '0.6', high: '1.2', kind: 'interval', … }
 */
export function parseReferenceRange(text: string | null | undefined): ReferenceRange {
  return parse(text).range;
}

/**
 * The unit written after a numeric range (`"0.6-1.2 mEq/L"` → `'mEq/L'`), or null when there is none or the range is
 * not numeric. Lets callers notice a result whose `unit` differs from the unit its range was written in.
 */
export function rangeUnit(text: string | null | undefined): string | null {
  return parse(text).unit;
}
