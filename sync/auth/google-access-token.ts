import { GoogleAuth } from 'google-auth-library';

/**
 * OAuth access tokens of the runtime's service account for one scope, from Application Default Credentials (the
 * metadata server on Cloud Run; `GCE_METADATA_HOST` for a stand-in, as `platform rehearse` uses). google-auth-library
 * caches each token and refreshes it before it expires. The one way the platform gets Google credentials.
 * @param purpose what the token is for, named in the error when no credentials are available
 */
export function googleAccessToken(
  scope: string,
  purpose: string,
  auth: Pick<GoogleAuth, 'getAccessToken'> = new GoogleAuth({ scopes: [scope] }),
): () => Promise<string> {
  return async function googleAccessToken() {
    const token = await auth.getAccessToken();
    if (!token)
      throw new Error(
        `${purpose}: no access token from Application Default Credentials (is the service account attached?)`,
      );
    return token;
  };
}
