import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { GoogleAuth } from 'google-auth-library';
import { googleAccessToken } from '../auth/google-access-token.js';
import { z } from 'zod';
import { SECRET_MANAGER_DEFAULT_BASE_URL } from '../../contract/env.js';

// Where the DrChrono OAuth token pair lives between processes. Refresh tokens are single-use (DESIGN §7.1), so a
// new pair must be persisted — atomically — before it is used; the token manager (./token-manager.ts) does that.

/** A DrChrono access/refresh token pair. */
export interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** When the access token expires (token endpoint's `expires_in` added to the time it was issued). */
  readonly expiresAt: Date;
}

export interface TokenStore {
  /** The stored pair, or null when none was ever saved. */
  load(): Promise<TokenPair | null>;
  /** Replaces the stored pair; once it resolves, every later `load()` (from any process) returns `pair`. */
  save(pair: TokenPair): Promise<void>;
}

/** The stored pair is unreadable (not JSON, or missing fields). Carries no token values. */
export class TokenStoreFormatError extends Error {
  override name = 'TokenStoreFormatError';
}

/** Secret Manager answered an error. Carries the status and the operation, never the payload. */
export class SecretManagerError extends Error {
  override name = 'SecretManagerError';
  constructor(
    readonly status: number,
    readonly operation: 'access' | 'addVersion' | 'listVersions' | 'disable',
  ) {
    super(`Secret Manager answered ${status} to ${operation}`);
  }
}

/**
 * The serialised form, shared by every store: `{"access_token", "refresh_token", "expires_at"}` (ISO 8601). An
 * operator can seed a store by hand with this JSON, e.g. `gcloud secrets versions add <secret> --data-file=pair.json`.
 */
const storedPairSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_at: z.iso.datetime({ offset: true }),
});

export function serializeTokenPair(pair: TokenPair): string {
  return JSON.stringify({
    access_token: pair.accessToken,
    refresh_token: pair.refreshToken,
    expires_at: pair.expiresAt.toISOString(),
  });
}

export function parseTokenPair(text: string, where: string): TokenPair {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TokenStoreFormatError(`${where}: the stored token pair is not JSON`);
  }
  const parsed = storedPairSchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.')))].join(', ');
    throw new TokenStoreFormatError(`${where}: the stored token pair is missing or has bad fields: ${fields}`);
  }
  return {
    accessToken: parsed.data.access_token,
    refreshToken: parsed.data.refresh_token,
    expiresAt: new Date(parsed.data.expires_at),
  };
}

/**
 * A JSON file, for local use (`npm start`). Writes go to a temp file in the same directory (mode 0600), are fsynced
 * and renamed over the target, so a reader sees the old pair or the new one, never a torn write.
 */
export class FileTokenStore implements TokenStore {
  constructor(readonly path: string) {
    if (path.length === 0) throw new Error('FileTokenStore: path must not be empty');
  }

  async load(): Promise<TokenPair | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return parseTokenPair(text, `file token store ${this.path}`);
  }

  async save(pair: TokenPair): Promise<void> {
    const dir = path.dirname(this.path);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = path.join(dir, `.${path.basename(this.path)}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(serializeTokenPair(pair), 'utf8');
      await handle.sync();
    } catch (error) {
      await handle.close();
      await rm(temp, { force: true });
      throw error;
    }
    await handle.close();
    try {
      await rename(temp, this.path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}

export const SECRET_MANAGER_BASE_URL = SECRET_MANAGER_DEFAULT_BASE_URL;

export interface SecretManagerTokenStoreOptions {
  /** Project id (or number) that holds the secret. */
  readonly project: string;
  /** Secret id; the secret must exist (Terraform creates it), versions are added here. */
  readonly secret: string;
  readonly fetch: typeof globalThis.fetch;
  /** OAuth2 access token of the service account (e.g. {@link metadataServerAccessToken} on Cloud Run). */
  readonly getAccessToken: () => Promise<string>;
  /** @default 'https://secretmanager.googleapis.com/v1' */
  readonly baseUrl?: string;
}

const accessResponseSchema = z.object({ name: z.string(), payload: z.object({ data: z.string() }) });
const secretVersionSchema = z.object({ name: z.string(), state: z.string().optional() });
const listVersionsSchema = z.object({
  versions: z.array(secretVersionSchema).optional(),
  nextPageToken: z.string().optional(),
});

/** Version number at the end of a SecretVersion name (`projects/p/secrets/s/versions/7` → 7). */
function versionNumber(name: string): number {
  const n = Number(name.slice(name.lastIndexOf('/') + 1));
  return Number.isInteger(n) ? n : Number.NaN;
}

/**
 * The pair as the latest version of a Secret Manager secret, over the REST API (v1):
 * `load` = `GET …/versions/latest:access` (payload.data is base64 of the JSON pair);
 * `save` = `POST …:addVersion`, then `POST …/versions/{n}:disable` for every older ENABLED version (listed with
 * `GET …/versions?filter=state:ENABLED`), so exactly one version — the live pair — stays readable.
 * Disabled versions keep the history for audit and can be re-enabled by an operator; destroying them is left to a
 * secret's version-destroy TTL policy.
 */
export class SecretManagerTokenStore implements TokenStore {
  readonly baseUrl: string;
  readonly secretName: string;

  constructor(private readonly options: SecretManagerTokenStoreOptions) {
    const idPattern = /^[A-Za-z0-9_-]+$/;
    if (!idPattern.test(options.project))
      throw new Error(`SecretManagerTokenStore: project must match ${String(idPattern)}, got "${options.project}"`);
    if (!idPattern.test(options.secret))
      throw new Error(`SecretManagerTokenStore: secret must match ${String(idPattern)}, got "${options.secret}"`);
    this.baseUrl = (options.baseUrl ?? SECRET_MANAGER_BASE_URL).replace(/\/+$/, '');
    this.secretName = `projects/${options.project}/secrets/${options.secret}`;
  }

  private async request(
    operation: SecretManagerError['operation'],
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<Response> {
    const token = await this.options.getAccessToken();
    const response = await this.options.fetch(`${this.baseUrl}/${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok && !(operation === 'access' && response.status === 404)) {
      await response.body?.cancel();
      throw new SecretManagerError(response.status, operation);
    }
    return response;
  }

  async load(): Promise<TokenPair | null> {
    const response = await this.request('access', 'GET', `${this.secretName}/versions/latest:access`);
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    const parsed = accessResponseSchema.safeParse(await response.json());
    if (!parsed.success) throw new TokenStoreFormatError(`secret ${this.secretName}: unexpected access response shape`);
    return parseTokenPair(
      Buffer.from(parsed.data.payload.data, 'base64').toString('utf8'),
      `secret ${this.secretName}`,
    );
  }

  async save(pair: TokenPair): Promise<void> {
    const data = Buffer.from(serializeTokenPair(pair), 'utf8').toString('base64');
    const added = secretVersionSchema.parse(
      await (await this.request('addVersion', 'POST', `${this.secretName}:addVersion`, { payload: { data } })).json(),
    );
    const newVersion = versionNumber(added.name);
    for (const old of await this.enabledVersions()) {
      const n = versionNumber(old.name);
      if (Number.isNaN(newVersion) || Number.isNaN(n) || n >= newVersion) continue;
      const response = await this.request('disable', 'POST', `${this.secretName}/versions/${n}:disable`, {});
      await response.body?.cancel();
    }
  }

  private async enabledVersions(): Promise<Array<z.infer<typeof secretVersionSchema>>> {
    const versions: Array<z.infer<typeof secretVersionSchema>> = [];
    let pageToken: string | undefined;
    do {
      const query = new URLSearchParams({
        filter: 'state:ENABLED',
        pageSize: '100',
        ...(pageToken ? { pageToken } : {}),
      });
      const page = listVersionsSchema.parse(
        await (await this.request('listVersions', 'GET', `${this.secretName}/versions?${query.toString()}`)).json(),
      );
      versions.push(...(page.versions ?? []).filter((v) => v.state === undefined || v.state === 'ENABLED'));
      pageToken = page.nextPageToken || undefined;
    } while (pageToken);
    return versions;
  }
}

const METADATA_TOKEN_URL = 'http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token';

/**
 * Access tokens of the runtime service account from the GCE/Cloud Run metadata server, cached until a minute before
 * they expire. For {@link SecretManagerTokenStoreOptions.getAccessToken} in Cloud Run.
 */
export function metadataServerAccessToken(options: {
  fetch: typeof globalThis.fetch;
  clock?: () => number;
  url?: string;
}): () => Promise<string> {
  const clock = options.clock ?? Date.now;
  let cached: { token: string; expiresAtMs: number } | null = null;
  return async function metadataServerAccessToken() {
    if (cached && cached.expiresAtMs - 60_000 > clock()) return cached.token;
    const response = await options.fetch(options.url ?? METADATA_TOKEN_URL, {
      headers: { 'Metadata-Flavor': 'Google' },
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`metadata server answered ${response.status} for the service-account token`);
    }
    const body = z.object({ access_token: z.string(), expires_in: z.number() }).parse(await response.json());
    cached = { token: body.access_token, expiresAtMs: clock() + body.expires_in * 1000 };
    return cached.token;
  };
}

/** The OAuth scope Secret Manager accepts. */
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** Secret Manager access tokens from Application Default Credentials (see {@link googleAccessToken}). */
export function applicationDefaultAccessToken(auth?: Pick<GoogleAuth, 'getAccessToken'>): () => Promise<string> {
  return googleAccessToken(CLOUD_PLATFORM_SCOPE, 'Secret Manager', auth);
}

export interface TokenStoreDependencies {
  /** Needed for `secret-manager:`. @default globalThis.fetch */
  readonly fetch?: typeof globalThis.fetch;
  /** Needed for `secret-manager:`. @default Application Default Credentials ({@link applicationDefaultAccessToken}) */
  readonly getAccessToken?: () => Promise<string>;
  /** SECRET_MANAGER_BASE_URL. @default 'https://secretmanager.googleapis.com/v1' */
  readonly secretManagerBaseUrl?: string;
}

/**
 * Builds the store named by `DRCHRONO_TOKEN_STORE`: `file:<path>` or `secret-manager:projects/<p>/secrets/<s>`.
 * @throws Error naming the accepted forms when `spec` is neither.
 */
export function parseTokenStore(spec: string, deps: TokenStoreDependencies = {}): TokenStore {
  if (spec.startsWith('file:')) {
    const file = spec.slice('file:'.length);
    if (file.length === 0)
      throw new Error('DRCHRONO_TOKEN_STORE: "file:" needs a path, e.g. file:.local/drchrono-token.json');
    return new FileTokenStore(file);
  }
  if (spec.startsWith('secret-manager:')) {
    const match = /^projects\/([^/]+)\/secrets\/([^/]+)$/.exec(spec.slice('secret-manager:'.length));
    if (!match?.[1] || !match[2]) {
      throw new Error('DRCHRONO_TOKEN_STORE: expected secret-manager:projects/<project>/secrets/<secret>');
    }
    const fetchFn = deps.fetch ?? globalThis.fetch;
    return new SecretManagerTokenStore({
      project: match[1],
      secret: match[2],
      fetch: fetchFn,
      getAccessToken: deps.getAccessToken ?? applicationDefaultAccessToken(),
      ...(deps.secretManagerBaseUrl ? { baseUrl: deps.secretManagerBaseUrl } : {}),
    });
  }
  throw new Error('DRCHRONO_TOKEN_STORE: expected file:<path> or secret-manager:projects/<project>/secrets/<secret>');
}
