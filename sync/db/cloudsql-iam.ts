import { GoogleAuth } from 'google-auth-library';

/** The OAuth scope Cloud SQL accepts an access token for, in place of a password (IAM database authentication). */
export const CLOUDSQL_LOGIN_SCOPE = 'https://www.googleapis.com/auth/sqlservice.login';

/**
 * A password function for postgres.js that returns a fresh Cloud SQL IAM access token of the runtime's service
 * account (Application Default Credentials: the metadata server on Cloud Run, `GCE_METADATA_HOST` for a stand-in).
 * google-auth-library caches the token and refreshes it before it expires (tokens last an hour; a new connection
 * needs a valid one, an open connection keeps working).
 */
export function cloudSqlIamPassword(auth: Pick<GoogleAuth, 'getAccessToken'> = new GoogleAuth({ scopes: [CLOUDSQL_LOGIN_SCOPE] })): () => Promise<string> {
  return async function cloudSqlIamToken() {
    const token = await auth.getAccessToken();
    if (!token) throw new Error('Cloud SQL IAM login: no access token from Application Default Credentials (is the service account attached?)');
    return token;
  };
}
