import { createHash } from 'node:crypto';

/**
 * A short, stable pseudonym for an email, for logs: lets on-call correlate refusals from one caller without writing
 * the identity itself. Not a secret (an unsalted hash of a guessable email can be confirmed), so it is used only for
 * workforce and unknown identities, never as a substitute for access control.
 */
export function hashIdentity(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 16);
}
