// Named errors of the Deep Cura Gridhook. Messages name fields and rules, never values: a Gridhook carries PHI,
// and these messages may reach logs and (for GridhookPayloadError) the sender's error body.

/** The envelope failed authentication: bad tag, wrong key, tampered bytes, or an iv/tag of the wrong size. → 401 */
export class GridhookAuthError extends Error {
  override name = 'GridhookAuthError';
}

/** The authenticated `sent_at` lies outside the replay window (too old or too far in the future). → 401 */
export class GridhookStaleError extends Error {
  override name = 'GridhookStaleError';
  constructor(
    /** Signed distance of `sent_at` from the receiver's clock, in whole seconds (negative = in the past). */
    readonly skewSeconds: number,
    readonly windowSeconds: number,
  ) {
    super(
      `Gridhook sent_at is ${Math.abs(skewSeconds)} s ${skewSeconds < 0 ? 'old' : 'in the future'}; the window is ±${windowSeconds} s`,
    );
  }
}

/**
 * The body or the decrypted payload does not have the contract's shape. `fields` are dotted paths
 * (`soap.plan`, `icd10_suggestions.2.code`, `iv`); the message lists them with the rule broken, never the value. → 400
 */
export class GridhookPayloadError extends Error {
  override name = 'GridhookPayloadError';
  constructor(
    readonly fields: readonly string[],
    readonly problems: readonly string[] = fields.map((f) => `${f}: invalid`),
  ) {
    super(`invalid Gridhook payload: ${problems.join('; ')}`);
  }
  /** The first offending field path. */
  get field(): string {
    return this.fields[0] ?? '(root)';
  }
}

/** Receiver configuration is wrong (key size, window, time zone); thrown when the factory runs, not per request. */
export class GridhookConfigError extends Error {
  override name = 'GridhookConfigError';
}
