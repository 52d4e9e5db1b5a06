import type { PseudonymKey } from './key.js';
import {
  deidentifyBirthDate,
  deidentifyDate,
  fakeEmail,
  fakeName,
  fakePhone,
  fakeToken,
  generaliseZip,
  looksLikeDate,
  placeholderText,
  type DatePolicy,
} from './values.js';

/** What happens to one column. The registry (registry.ts) gives every column of every copied table one of these. */
export type ColumnRule =
  /** Copied as is; `why` says why the value identifies no one (codes, statuses, amounts, flags, surrogate keys). */
  | { readonly rule: 'keep'; readonly why: string }
  /** Shifted by the row's subject's keyed offset (or year only with `--strict-dates`). */
  | { readonly rule: 'shift_date' }
  /** A DrChrono or Deep Cura record id → keyed 15-digit pseudonym; `prefixOf` pseudonymises the part before it. */
  | { readonly rule: 'pseudonym_id'; readonly prefixOf?: string }
  /** Replaced: neutral text of similar length, or a fake name / email / phone / token derived from the value. */
  | { readonly rule: 'replace_text'; readonly as: 'text' | 'first_name' | 'last_name' | 'email' | 'phone' | 'token' }
  /** ZIP → first three digits, `000` for the restricted areas. */
  | { readonly rule: 'generalise_zip' }
  /** Date of birth: over 89 → the 90+ bucket, else like `shift_date`. */
  | { readonly rule: 'generalise_age' }
  /** Set to null. */
  | { readonly rule: 'drop' }
  /** JSON (`raw` and the like): walked, each field by its name ({@link walkJson}). */
  | { readonly rule: 'walk_json' };

export const keep = (why: string): ColumnRule => ({ rule: 'keep', why });
export const shiftDate: ColumnRule = { rule: 'shift_date' };
export const pseudonymId: ColumnRule = { rule: 'pseudonym_id' };
export const replace = (as: (ColumnRule & { rule: 'replace_text' })['as'] = 'text'): ColumnRule => ({
  rule: 'replace_text',
  as,
});
export const drop: ColumnRule = { rule: 'drop' };
export const walkJsonRule: ColumnRule = { rule: 'walk_json' };

/** What a transform needs besides the value: the key, the date policy and the row's date offset. */
export interface TransformContext {
  readonly key: PseudonymKey;
  readonly dates: DatePolicy;
  readonly offsetDays: number;
}

/** Applies a scalar rule to one non-null value as read from Postgres (text for dates, parsed JSON, arrays). */
/** `column` names the root of a JSON value, so a column of codes (`icd10_suggestions`) is read like that field. */
export function applyRule(rule: ColumnRule, value: unknown, ctx: TransformContext, column?: string): unknown {
  if (value === null || value === undefined) return null;
  switch (rule.rule) {
    case 'keep':
      return value;
    case 'drop':
      return null;
    case 'shift_date':
      return deidentifyDate(String(value), ctx.offsetDays, ctx.dates);
    case 'generalise_age':
      return deidentifyBirthDate(String(value), ctx.offsetDays, ctx.dates);
    case 'generalise_zip':
      return generaliseZip(String(value));
    case 'pseudonym_id': {
      const text = String(value);
      if (rule.prefixOf === undefined) return ctx.key.pseudonymId(text);
      const at = text.indexOf(rule.prefixOf);
      return at < 0 ? ctx.key.pseudonymId(text) : `${ctx.key.pseudonymId(text.slice(0, at))}${text.slice(at)}`;
    }
    case 'replace_text':
      return replaceText(rule.as, String(value), ctx.key);
    case 'walk_json':
      return walkJson(value, column, ctx);
  }
}

function replaceText(as: (ColumnRule & { rule: 'replace_text' })['as'], value: string, key: PseudonymKey): string {
  switch (as) {
    case 'text':
      return placeholderText(value);
    case 'first_name':
      return fakeName(key, value, 'first');
    case 'last_name':
      return fakeName(key, value, 'last');
    case 'email':
      return fakeEmail(key, value);
    case 'phone':
      return fakePhone(key, value);
    case 'token':
      return fakeToken(key, value);
  }
}

// ── the JSON walker ──────────────────────────────────────────────────────────────────────────────────────────────
// Field names decide; anything unrecognised is replaced (allow-list), so a field DrChrono adds tomorrow cannot leak.

/** Keys whose values are record ids in DrChrono's (and Deep Cura's) id space. */
const ID_KEYS = new Set([
  'id',
  'patient',
  'appointment',
  'doctor',
  'office',
  'line_item',
  'clinical_note',
  'lab_order',
  'lab_test',
  'lab_result',
  'provider',
  'supervising_provider',
  'ordering_provider',
  'locked_by',
  'signed_by',
  'created_by',
  'updated_by',
  'practice_group',
  'profile',
  'user',
  'document',
]);
const isIdKey = (k: string) => ID_KEYS.has(k) || /(^|_)ids?$/.test(k) || /_number$|^number$|(^|_)mrn$/.test(k);

/** Keys whose short string values are codes, statuses or categories: kept (distributions). */
const KEEP_KEYS = new Set([
  'code',
  'gender',
  'sex',
  'race',
  'ethnicity',
  'preferred_language',
  'language',
  'state',
  'rank',
  'icd_version',
  'unit',
  'units',
  'route',
  'frequency',
  'dosage_quantity',
  'dosage_units',
  'modifiers',
  'diagnosis_pointers',
  'specialty',
  'normal_range',
  'abnormal_status',
  'payment_method',
  'adjustment_reason',
  'ins_name',
  'level',
  'quantity',
  'duration',
  'exam_room',
  'instrument',
  'item',
  'confidence',
  'icd10_suggestions',
  'cpt_suggestions',
  'medication_mentions',
  'rxnorm',
  'ndc',
  'color',
]);
const isKeepKey = (k: string) =>
  KEEP_KEYS.has(k) ||
  /(status|_type|_flag|_code|_version)$/.test(k) ||
  /^(is|has)_/.test(k) ||
  /^(icd|cpt|hcpcs|loinc|snomed)/.test(k);
const KEEP_MAX_LENGTH = 64;

const isNameKey = (k: string) => /(^|_)name$|^name_|(first|last|middle|nick|maiden|full)_?name/.test(k);
const isEmailKey = (k: string) => /e_?mail/.test(k);
const isPhoneKey = (k: string) => /phone|fax|mobile|pager|cell/.test(k);
const isZipKey = (k: string) => /zip|postal/.test(k);
const isBirthKey = (k: string) => /date_of_birth|birth_?date|^dob$|_dob$/.test(k);
const isDropKey = (k: string) =>
  /address|street|city|county|suite|apartment|photo|image|avatar|signature|url|website|ip_?address|biometric|fingerprint|vehicle|license_plate|device|serial|ssn|social_security|licen[cs]e|certificate/.test(
    k,
  );

const DECIMAL = /^-?\d{1,9}\.\d{1,4}$/;

/**
 * De-identifies a JSON value by field name: ids → pseudonyms; names, emails, phones → fakes; ZIP → 3 digits;
 * birth dates → age rule; addresses, SSNs, licences, device and vehicle ids, URLs, IPs, photos → null; codes and
 * statuses (short) → kept; any date-shaped string → shifted; decimals (amounts, lab values) and numbers, booleans →
 * kept; every other string → neutral placeholder text.
 */
export function walkJson(value: unknown, parentKey: string | undefined, ctx: TransformContext): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((v) => walkJson(v, parentKey, ctx));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = walkJson(v, k.toLowerCase(), ctx);
    return out;
  }
  const k = parentKey ?? '';
  if (typeof value === 'number') {
    if (isIdKey(k) && Number.isInteger(value) && value >= 0) return Number(ctx.key.pseudonymId(String(value)));
    if (isPhoneKey(k) || isDropKey(k)) return null;
    if (isZipKey(k)) return Number(generaliseZip(String(value)));
    return value;
  }
  if (typeof value !== 'string') return null;
  if (value === '') return value;
  if (isBirthKey(k)) return deidentifyBirthDate(value, ctx.offsetDays, ctx.dates);
  if (isDropKey(k)) return null;
  if (isIdKey(k)) return ctx.key.pseudonymId(value);
  if (isEmailKey(k) || /@/.test(value)) return fakeEmail(ctx.key, value);
  if (isPhoneKey(k)) return fakePhone(ctx.key, value);
  if (isZipKey(k)) return generaliseZip(value);
  if (isNameKey(k)) return fakeName(ctx.key, value, /first/.test(k) ? 'first' : /last/.test(k) ? 'last' : 'full');
  if (looksLikeDate(value)) return deidentifyDate(value, ctx.offsetDays, ctx.dates);
  if (isKeepKey(k) && value.length <= KEEP_MAX_LENGTH) return value;
  if (DECIMAL.test(value)) return value;
  return placeholderText(value);
}
