import { randomBytes } from 'node:crypto';

/** An API application registered with the sandbox (DrChrono "API management" entry). */
export interface SandboxOAuthClient {
  readonly clientId: string;
  readonly clientSecret: string;
  /** The redirect URI registered for the authorization-code flow. */
  readonly redirectUri: string;
}

export const DEFAULT_CLIENT: SandboxOAuthClient = {
  clientId: 'sandbox-client-id',
  clientSecret: 'sandbox-client-secret',
  redirectUri: 'http://127.0.0.1/oauth/callback',
};

/** DrChrono's token endpoint response body. */
export interface TokenResponse {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly expires_in: number;
  readonly token_type: 'Bearer';
  readonly scope: string;
}

export type OAuthError = { status: 400 | 401; body: { error: string; error_description?: string } };

interface AccessToken {
  clientId: string;
  expiresAtMs: number;
  refreshToken: string;
  revoked: boolean;
}
interface RefreshToken {
  clientId: string;
  used: boolean;
}
interface AuthorizationCode {
  clientId: string;
  redirectUri: string;
  expiresAtMs: number;
  used: boolean;
}

export type AccessCheck =
  { ok: true; clientId: string } | { ok: false; reason: 'missing' | 'unknown' | 'expired' | 'revoked' };

const CODE_LIFETIME_MS = 10 * 60_000;

const token = (): string => randomBytes(20).toString('hex');

/**
 * OAuth2 state of the sandbox: authorization codes, access tokens with a lifetime on the injected clock, and
 * single-use refresh tokens (reuse → `invalid_grant`). Refreshing revokes the access token issued with the old
 * refresh token, as django-oauth-toolkit (DrChrono's OAuth server) does.
 */
export class OAuthState {
  private readonly clients = new Map<string, SandboxOAuthClient>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, RefreshToken>();
  private readonly codes = new Map<string, AuthorizationCode>();
  private readonly refreshes = new Map<string, number>();

  constructor(
    clients: readonly SandboxOAuthClient[],
    private readonly clock: () => number,
    private readonly lifetimeSeconds: number,
    private readonly scope: string,
  ) {
    for (const client of clients) this.clients.set(client.clientId, client);
  }

  get defaultClientId(): string {
    const first = this.clients.keys().next();
    if (first.done) throw new Error('no OAuth client configured');
    return first.value;
  }

  hasClient(clientId: string): boolean {
    return this.clients.has(clientId);
  }

  authenticateClient(clientId: string | undefined, clientSecret: string | undefined): SandboxOAuthClient | null {
    const client = clientId === undefined ? undefined : this.clients.get(clientId);
    return client && client.clientSecret === clientSecret ? client : null;
  }

  issueCode(clientId: string, redirectUri?: string): string {
    const client = this.clients.get(clientId);
    if (!client) throw new Error(`unknown OAuth client ${clientId}`);
    const code = token();
    this.codes.set(code, {
      clientId,
      redirectUri: redirectUri ?? client.redirectUri,
      expiresAtMs: this.clock() + CODE_LIFETIME_MS,
      used: false,
    });
    return code;
  }

  issuePair(clientId: string): TokenResponse {
    if (!this.clients.has(clientId)) throw new Error(`unknown OAuth client ${clientId}`);
    const access = token();
    const refresh = token();
    this.refreshTokens.set(refresh, { clientId, used: false });
    this.accessTokens.set(access, {
      clientId,
      expiresAtMs: this.clock() + this.lifetimeSeconds * 1000,
      refreshToken: refresh,
      revoked: false,
    });
    return {
      access_token: access,
      refresh_token: refresh,
      expires_in: this.lifetimeSeconds,
      token_type: 'Bearer',
      scope: this.scope,
    };
  }

  exchangeCode(
    client: SandboxOAuthClient,
    code: string | undefined,
    redirectUri: string | undefined,
  ): TokenResponse | OAuthError {
    const entry = code === undefined ? undefined : this.codes.get(code);
    if (!entry || entry.used || entry.clientId !== client.clientId || entry.expiresAtMs <= this.clock()) {
      return { status: 400, body: { error: 'invalid_grant' } };
    }
    if (redirectUri !== entry.redirectUri)
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Mismatching redirect URI.' } };
    entry.used = true;
    return this.issuePair(client.clientId);
  }

  refresh(client: SandboxOAuthClient, refreshToken: string | undefined): TokenResponse | OAuthError {
    const entry = refreshToken === undefined ? undefined : this.refreshTokens.get(refreshToken);
    if (!entry || entry.used || entry.clientId !== client.clientId)
      return { status: 400, body: { error: 'invalid_grant' } };
    entry.used = true;
    for (const access of this.accessTokens.values()) if (access.refreshToken === refreshToken) access.revoked = true;
    this.refreshes.set(client.clientId, (this.refreshes.get(client.clientId) ?? 0) + 1);
    return this.issuePair(client.clientId);
  }

  checkAccess(accessToken: string | undefined): AccessCheck {
    if (!accessToken) return { ok: false, reason: 'missing' };
    const entry = this.accessTokens.get(accessToken);
    if (!entry) return { ok: false, reason: 'unknown' };
    if (entry.revoked) return { ok: false, reason: 'revoked' };
    if (entry.expiresAtMs <= this.clock()) return { ok: false, reason: 'expired' };
    return { ok: true, clientId: entry.clientId };
  }

  refreshCount(clientId: string): number {
    return this.refreshes.get(clientId) ?? 0;
  }

  /** Marks every access token expired (e.g. to test a 401 mid-sync without moving the clock). */
  expireAllAccessTokens(): void {
    const now = this.clock();
    for (const entry of this.accessTokens.values()) entry.expiresAtMs = Math.min(entry.expiresAtMs, now);
  }
}
