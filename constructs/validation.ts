import { Token } from 'cdktf';

/**
 * Range and format checks shared by the constructs. Every check skips unresolved tokens (a value only known at
 * apply time cannot be checked at synth) and throws a plain Error naming the construct, the prop, the rule, the
 * value received and the fix.
 */

export class ConstructPropsError extends Error {
  override readonly name = 'ConstructPropsError';
}

/** Throws unless `value` is an integer in [min, max]. `unit` is printed with the bound. */
export function validateRange(
  construct: string,
  prop: string,
  value: number | undefined,
  min: number,
  max: number,
  unit: string,
): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConstructPropsError(
      `${construct}: ${prop} must be an integer between ${min} and ${max} ${unit}; received ${value}. ` +
        `Pass a value in that range.`,
    );
  }
}

/** Throws unless `value` is a number in [min, max] (fractions allowed, e.g. an SLO goal). */
export function validateFraction(
  construct: string,
  prop: string,
  value: number | undefined,
  min: number,
  max: number,
): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConstructPropsError(
      `${construct}: ${prop} must be a number between ${min} and ${max}; received ${value}. Pass a value in that range.`,
    );
  }
}

/** Throws unless `value` matches `pattern`; `expected` describes the format in words. */
export function validateFormat(
  construct: string,
  prop: string,
  value: string | undefined,
  pattern: RegExp,
  expected: string,
): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!pattern.test(value)) {
    throw new ConstructPropsError(`${construct}: ${prop} must be ${expected}; received ${JSON.stringify(value)}.`);
  }
}

/** Throws when `value` is an empty string (callers should leave the prop unset instead). */
export function validateNonEmpty(construct: string, prop: string, value: string | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (value.trim() === '') {
    throw new ConstructPropsError(`${construct}: ${prop} must not be empty; leave it unset to use the default.`);
  }
}

/**
 * IAM members this platform accepts: a user, group, service account, domain or a WIF principal/principalSet.
 * `allUsers` and `allAuthenticatedUsers` are refused here and by the rule pack.
 */
export function validateMember(construct: string, prop: string, member: string): void {
  validateFormat(
    construct,
    prop,
    member,
    /^(user|group|serviceAccount|domain|principal|principalSet):\S+$/,
    'an IAM member such as "serviceAccount:x@p.iam.gserviceaccount.com" or "group:ops@example.com" ' +
      '(allUsers / allAuthenticatedUsers are not allowed)',
  );
}

/** Cloud Run / Scheduler / Pub/Sub service-account member for an email. */
export function serviceAccountMember(email: string): string {
  return `serviceAccount:${email}`;
}
