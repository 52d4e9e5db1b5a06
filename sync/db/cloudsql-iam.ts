import type { GoogleAuth } from 'google-auth-library';
import { googleAccessToken } from '../auth/google-access-token.js';

/** The OAuth scope Cloud SQL accepts an access token for, in place of a password (IAM database authentication). */
export const CLOUDSQL_LOGIN_SCOPE = 'https://www.googleapis.com/auth/sqlservice.login';

/**
 * A password function for postgres.js that returns a fresh Cloud SQL IAM access token of the runtime's service
 * account. Tokens last an hour; a new connection needs a valid one, an open connection keeps working.
 */
export function cloudSqlIamPassword(auth?: Pick<GoogleAuth, 'getAccessToken'>): () => Promise<string> {
  return googleAccessToken(CLOUDSQL_LOGIN_SCOPE, 'Cloud SQL IAM login', auth);
}
