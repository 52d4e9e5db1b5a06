import fc from 'fast-check';

// Hostile values for property tests of the inbound endpoints: NUL, lone surrogates, huge and negative numbers,
// deep nesting, impossible dates and times, long strings. Every hostile string carries a marker (`Hx<n>xH`), so a
// test can tell whether any input value reached a log line by searching for markers.

/** Default seed of the hostile property tests; set FC_SEED to replay another. fast-check prints the seed on failure. */
export const HOSTILE_SEED = Number(process.env['FC_SEED'] ?? 20_261_202);
/** Runs per endpoint property (the acceptance asks for at least 1,000 in CI). */
export const HOSTILE_RUNS = Number(process.env['FC_RUNS'] ?? 1_000);

let markers = 0;
/**
 * A fresh marker, unique within the process. The hyphens keep a marker-bearing key from looking like a field
 * name: 400s and logs may name identifier-like keys (`custom_field`, see safeFieldPath in sync/db/pg-values.ts)
 * as the path of a problem — a field name, not a value — but nothing else from the input.
 */
export const marker = () => `Hx-${++markers}-xH`;
/** Matches any marker, for scanning logs. */
export const MARKER = /Hx-\d+-xH/;

/** Nesting that JSON.stringify cannot write; `withDeep` writes it into the JSON text. */
export class Deep {
  constructor(readonly depth: number) {}
}

const DEEP_TOKEN = '\u0001deep:';
/** JSON text of `value`, with each Deep written as that many nested arrays around a marker string. */
export function hostileJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (v instanceof Deep ? `${DEEP_TOKEN}${v.depth}` : v));
  return text.replace(
    /"\\u0001deep:(\d+)"/g,
    (_m, depth: string) => `${'['.repeat(+depth)}"${marker()}"${']'.repeat(+depth)}`,
  );
}

const tail = fc.constantFrom(
  '',
  '\u0000',
  '\uD800',
  '\uDFFF',
  'a\u0000b',
  '\uDBFF\u0000',
  '\u0000\u0000',
  '\uD83D\uDE00',
  "'; DROP TABLE x; --",
  '\\u0000',
);

/** A string with a marker and something Postgres or a log could choke on. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.string({ unit: 'binary', maxLength: 20 }), tail).map(([s, t]) => `${marker()}${s}${t}`),
  fc.tuple(tail, fc.string({ maxLength: 10 })).map(([t, s]) => `${t}${marker()}${s}`),
  fc.integer({ min: 1_000, max: 60_000 }).map((n) => `${marker()}${'x'.repeat(n)}\u0000`),
);

/** Dates and timestamps that match DrChrono's shapes but name no real time, plus real ones at the edges. */
export const hostileTime = fc.constantFrom(
  '2026-02-30',
  '0000-00-00',
  '0000-01-01',
  '9999-12-31',
  '2025-02-29',
  '2026-13-01',
  '9999-99-99T99:99',
  '2026-13-40T25:61',
  '0000-00-00T00:00',
  '2026-02-30T10:00',
  '9999-12-31T23:59:59',
  '0001-01-01T00:00',
  '2026-01-01T24:00',
  '2026-01-01T10:60',
  '2026-03-08T02:30:00',
  '+010000-01-01T00:00:00.000Z',
  '0000-01-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '2026-01-01T00:00:00+16:00',
  '',
  'not a date',
);

export const hostileNumber = fc.oneof(
  fc.constantFrom(
    2 ** 31,
    2 ** 31 - 1,
    -(2 ** 31) - 1,
    2 ** 53,
    -(2 ** 53),
    2 ** 63,
    1e308,
    -1e308,
    0,
    -1,
    0.5,
    1e-300,
    32_768,
    9,
    10,
    11,
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Any hostile value: the classes above, nesting (deep or slightly over the limit), and odd shapes. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: hostileTime },
  { weight: 2, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.constantFrom(20_000, 65, 64, 63, 5_000).map((d) => new Deep(d)) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, {}, []) },
  { weight: 1, arbitrary: fc.dictionary(hostileString, hostileString, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 3 }) },
);

/**
 * `base` with each listed field either kept or replaced by a hostile value, plus up to two extra hostile keys.
 * At least one field is replaced, so every run is hostile somewhere. (A generated null means "keep".)
 */
export function hostileFields(
  base: Record<string, unknown>,
  fields: readonly string[],
  values: fc.Arbitrary<unknown> = hostileValue,
): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(
      // Each field hostile with probability 1/6, so many runs keep the keys valid and reach the database.
      fc.tuple(
        ...fields.map(() => fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: values })),
      ),
      fc.nat({ max: fields.length - 1 }),
      values,
      fc.dictionary(fc.oneof(hostileString, fc.constantFrom('custom_field', 'notes_extra')), hostileValue, {
        maxKeys: 2,
      }),
    )
    .map(([choices, forced, forcedValue, extra]) => {
      const out: Record<string, unknown> = { ...base, ...extra };
      fields.forEach((field, i) => {
        const choice = choices[i];
        if (choice !== null && choice !== undefined) out[field] = choice;
      });
      out[fields[forced]!] = forcedValue;
      return out;
    });
}
