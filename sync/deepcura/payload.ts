import { z } from 'zod';
import { riskLevels } from '../../schema/deepcura.js';
import { hasUnstorableChars, isPgDate, isPgInstant, jsonTooDeepAt, MAX_JSON_DEPTH } from '../db/pg-values.js';
import { GridhookPayloadError } from './errors.js';

export { GridhookPayloadError } from './errors.js';

/**
 * An id as Deep Cura may send it: a non-empty string or a non-negative integer; stored as text like DrChrono ids.
 * An id is a key, so NUL or a lone surrogate (which Postgres cannot store) is refused rather than cleaned.
 */
const id = z
  .union([
    z
      .string()
      .trim()
      .min(1)
      .max(128)
      .refine((s) => !hasUnstorableChars(s), 'contains NUL or a lone surrogate'),
    z.number().int().nonnegative(),
  ])
  .transform(String);

/** A code suggestion: `"F41.1"` or `{ "code": "F41.1", "description": "…", "confidence": 0.8 }` (extra keys kept in raw). */
const codeSuggestion = z.union([
  z.string().trim().min(1).max(32),
  z.looseObject({
    code: z.string().trim().min(1).max(32),
    description: z.string().optional(),
    confidence: z.number().min(0).max(1).optional(),
  }),
]);

/** A medication mention: `"sertraline 50 mg"` or `{ "name": "sertraline", … }`. */
const medicationMention = z.union([z.string().min(1), z.looseObject({ name: z.string().min(1) })]);

// zod's ISO formats check the calendar but allow year 0000, which Postgres refuses: the shared rule decides.
const isoInstant = z.iso
  .datetime({ offset: true, abort: true })
  .refine(isPgInstant, 'expected an instant in years 0001-9999');
const isoDate = z.iso.date({ abort: true }).refine(isPgDate, 'expected a date in years 0001-9999');

/**
 * The decrypted Gridhook payload (contract v1, docs/deepcura-contract.md). Unknown keys are ignored here but kept
 * in `deepcura_notes.raw`.
 *
 * `sent_at` is the replay-window timestamp: the instant Deep Cura sent *this delivery*, ISO-8601 with a zone
 * (`Z` or `±hh:mm`). It is inside the authenticated plaintext, so it cannot be changed without the key; a
 * re-send of the same note carries a new `sent_at`, and a later `sent_at` marks the newer version of a note.
 */
export const gridhookPayloadSchema = z.object({
  note_id: id,
  /** DrChrono appointment id; null when the scribe session was not started from an appointment. */
  appointment_id: id.nullable(),
  /** DrChrono patient id. */
  patient_id: id,
  /** Practice-local visit date, `YYYY-MM-DD`. */
  visit_date: isoDate,
  transcript: z.string(),
  soap: z.object({ subjective: z.string(), objective: z.string(), assessment: z.string(), plan: z.string() }),
  icd10_suggestions: z.array(codeSuggestion),
  cpt_suggestions: z.array(codeSuggestion),
  medication_mentions: z.array(medicationMention),
  risk_assessment: z.object({ level: z.enum(riskLevels), factors: z.array(z.string()) }),
  /** When Deep Cura created the note (ISO-8601 with zone). */
  created_at: isoInstant,
  /** When this delivery was sent (ISO-8601 with zone); checked against the ±window replay window. */
  sent_at: isoInstant,
});

/** The payload after validation (ids as strings). */
export type GridhookPayload = z.output<typeof gridhookPayloadSchema>;
/** What a sender puts in the plaintext (ids may be numbers). */
export type GridhookPayloadInput = z.input<typeof gridhookPayloadSchema>;

/** The rule an issue broke, in words that never quote the input. */
function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'invalid_format':
      return `expected format ${issue.format}`;
    case 'invalid_value':
      return 'not an allowed value';
    case 'too_small':
      return 'too short or too small';
    case 'too_big':
      return 'too long or too large';
    case 'invalid_union':
      return 'does not match any allowed shape';
    case 'custom':
      return issue.message;
    default:
      return 'invalid';
  }
}

const MAX_REPORTED = 10;

/** Turns zod issues into a GridhookPayloadError naming each field path and rule (at most ten), never a value. */
export function payloadErrorFromZod(error: z.ZodError): GridhookPayloadError {
  const issues = error.issues.slice(0, MAX_REPORTED);
  const fields = issues.map((i) => (i.path.length > 0 ? i.path.map(String).join('.') : '(root)'));
  return new GridhookPayloadError(
    fields,
    issues.map((i, n) => `${fields[n]}: ${describe(i)}`),
  );
}

/** Parses decrypted plaintext: JSON, then the contract's schema. Throws GridhookPayloadError naming the fields. */
export function parseGridhookPayload(plaintext: string): { payload: GridhookPayload; raw: Record<string, unknown> } {
  let raw: unknown;
  try {
    raw = JSON.parse(plaintext);
  } catch {
    throw new GridhookPayloadError(['(plaintext)'], ['(plaintext): not valid JSON']);
  }
  const tooDeep = jsonTooDeepAt(raw, MAX_JSON_DEPTH);
  if (tooDeep) {
    const field = tooDeep.join('.') || '(root)';
    throw new GridhookPayloadError([field], [`${field}: nested deeper than ${MAX_JSON_DEPTH} levels`]);
  }
  const result = gridhookPayloadSchema.safeParse(raw, { reportInput: false });
  if (!result.success) throw payloadErrorFromZod(result.error);
  return { payload: result.data, raw: raw as Record<string, unknown> };
}
