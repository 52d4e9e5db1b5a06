import { createHash, randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import type { Context } from 'hono';

// A stand-in for the parts of Secret Manager's REST API v1 the platform uses (the DrChrono token pair):
// versions:access, secrets:addVersion, versions.list (filter state:ENABLED) and versions:disable.

export type SecretVersionState = 'ENABLED' | 'DISABLED' | 'DESTROYED';

/** A version as the REST API's `SecretVersion` resource (subset). */
export interface SandboxSecretVersion {
  readonly name: string;
  readonly createTime: string;
  readonly state: SecretVersionState;
  readonly etag: string;
}

export interface SecretManagerSandboxOptions {
  /**
   * Bearer token every request must carry (`Authorization: Bearer <token>`); others get 401 UNAUTHENTICATED.
   * @default a random token, readable as `control.accessToken`
   */
  readonly accessToken?: string;
  /** Secrets that exist from the start, as `projects/<p>/secrets/<s>`. @default none */
  readonly secrets?: readonly string[];
  /** Stamps `createTime` of new versions; epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
}

export interface SecretManagerSandboxControl {
  readonly accessToken: string;
  /** Creates an empty secret (`projects/<p>/secrets/<s>`), like `gcloud secrets create`. */
  createSecret(name: string): void;
  /** Versions of a secret, oldest first, without payloads. */
  versions(name: string): SandboxSecretVersion[];
  /** Decoded payload of one version (tests only). */
  payload(name: string, version: number): string | null;
  /** Requests served, by method name (`access`, `addVersion`, `list`, `disable`). */
  requestCount(method: 'access' | 'addVersion' | 'list' | 'disable'): number;
  /** Fails the next `count` requests with this HTTP status (e.g. 503). */
  failNext(count: number, status: 500 | 503): void;
}

export interface SecretManagerSandbox {
  readonly app: Hono;
  readonly control: SecretManagerSandboxControl;
}

interface StoredVersion {
  number: number;
  createTime: string;
  state: SecretVersionState;
  etag: string;
  data: Buffer;
}

const SECRET_NAME = /^projects\/[A-Za-z0-9_-]+\/secrets\/[A-Za-z0-9_-]+$/;
/** `/v1/projects/p/secrets/s:addVersion`, `/v1/projects/p/secrets/s/versions`, `/v1/projects/p/secrets/s/versions/7:disable`… */
const ROUTE =
  /^\/v1\/(projects\/[A-Za-z0-9_-]+\/secrets\/[A-Za-z0-9_-]+)(?::(addVersion)|\/versions(?:\/(latest|[0-9]+):(access|disable))?)$/;

/** Google API error body (`google.rpc.Status` in JSON). */
function googleError(c: Context, code: 400 | 401 | 404 | 500 | 503, status: string, message: string) {
  return c.json({ error: { code, message, status } }, code);
}

/**
 * Builds the Secret Manager stand-in. Follows the public REST reference: version ids start at 1 per secret; `latest`
 * is the most recently created version; accessing a DISABLED version is FAILED_PRECONDITION; the payload is
 * `{ data: base64 }`; list returns newest first. Not modelled: IAM, replication, CMEK, checksums, etags on disable.
 */
export function createSecretManagerSandbox(options: SecretManagerSandboxOptions = {}): SecretManagerSandbox {
  const accessToken = options.accessToken ?? randomBytes(16).toString('hex');
  const clock = options.clock ?? Date.now;
  const secrets = new Map<string, StoredVersion[]>();
  const counts = { access: 0, addVersion: 0, list: 0, disable: 0 };
  let faults: { remaining: number; status: 500 | 503 } = { remaining: 0, status: 503 };

  const createSecret = (name: string): void => {
    if (!SECRET_NAME.test(name)) throw new Error(`secret name must be projects/<p>/secrets/<s>, got "${name}"`);
    if (!secrets.has(name)) secrets.set(name, []);
  };
  for (const name of options.secrets ?? []) createSecret(name);

  const resource = (secret: string, v: StoredVersion): SandboxSecretVersion => ({
    name: `${secret}/versions/${v.number}`,
    createTime: v.createTime,
    state: v.state,
    etag: v.etag,
  });
  const etagOf = (v: Omit<StoredVersion, 'etag'>) =>
    `"${createHash('sha256').update(`${v.number}:${v.state}:${v.createTime}`).digest('hex').slice(0, 12)}"`;

  const app = new Hono();
  app.use('*', async (c, next) => {
    if (c.req.header('authorization') !== `Bearer ${accessToken}`) {
      return googleError(
        c,
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token.',
      );
    }
    if (faults.remaining > 0) {
      faults.remaining -= 1;
      return googleError(c, faults.status, faults.status === 503 ? 'UNAVAILABLE' : 'INTERNAL', 'Injected failure.');
    }
    return next();
  });

  app.all('*', async (c) => {
    const match = ROUTE.exec(new URL(c.req.url).pathname);
    if (!match?.[1]) return googleError(c, 404, 'NOT_FOUND', 'Method not found.');
    const [, secret, addVersion, version, verb] = match as unknown as [
      string,
      string,
      string | undefined,
      string | undefined,
      string | undefined,
    ];
    const versions = secrets.get(secret);
    if (!versions) return googleError(c, 404, 'NOT_FOUND', `Secret [${secret}] not found or has no versions.`);

    if (addVersion) {
      if (c.req.method !== 'POST') return googleError(c, 404, 'NOT_FOUND', 'Method not found.');
      counts.addVersion += 1;
      const body = (await c.req.json().catch(() => null)) as { payload?: { data?: unknown } } | null;
      const data = body?.payload?.data;
      if (typeof data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(data)) {
        return googleError(c, 400, 'INVALID_ARGUMENT', 'payload.data must be base64.');
      }
      const base = {
        number: versions.length + 1,
        createTime: new Date(clock()).toISOString(),
        state: 'ENABLED' as const,
        data: Buffer.from(data, 'base64'),
      };
      const stored: StoredVersion = { ...base, etag: etagOf(base) };
      versions.push(stored);
      return c.json(resource(secret, stored));
    }

    if (version === undefined) {
      if (c.req.method !== 'GET') return googleError(c, 404, 'NOT_FOUND', 'Method not found.');
      counts.list += 1;
      const filter = c.req.query('filter');
      const stateFilter =
        filter === undefined || filter === ''
          ? null
          : /^state\s*[:=]\s*(ENABLED|DISABLED|DESTROYED)$/.exec(filter)?.[1];
      if (stateFilter === undefined)
        return googleError(c, 400, 'INVALID_ARGUMENT', 'Unsupported filter (the sandbox knows state:<STATE>).');
      const listed = [...versions]
        .reverse()
        .filter((v) => stateFilter === null || v.state === stateFilter)
        .map((v) => resource(secret, v));
      return c.json(listed.length > 0 ? { versions: listed, totalSize: stateFilter === null ? listed.length : 0 } : {});
    }

    const stored = version === 'latest' ? versions.at(-1) : versions.find((v) => v.number === Number(version));
    if (!stored) return googleError(c, 404, 'NOT_FOUND', `Secret Version [${secret}/versions/${version}] not found.`);
    if (verb === 'access' && c.req.method === 'GET') {
      counts.access += 1;
      if (stored.state !== 'ENABLED') {
        return googleError(
          c,
          400,
          'FAILED_PRECONDITION',
          `Secret Version [${secret}/versions/${stored.number}] is in ${stored.state} state.`,
        );
      }
      return c.json({ name: `${secret}/versions/${stored.number}`, payload: { data: stored.data.toString('base64') } });
    }
    if (verb === 'disable' && c.req.method === 'POST') {
      counts.disable += 1;
      if (stored.state === 'DESTROYED') return googleError(c, 400, 'FAILED_PRECONDITION', 'Version is destroyed.');
      stored.state = 'DISABLED';
      stored.etag = etagOf(stored);
      return c.json(resource(secret, stored));
    }
    return googleError(c, 404, 'NOT_FOUND', 'Method not found.');
  });

  const control: SecretManagerSandboxControl = {
    accessToken,
    createSecret,
    versions: (name) => (secrets.get(name) ?? []).map((v) => resource(name, v)),
    payload: (name, number) =>
      secrets
        .get(name)
        ?.find((v) => v.number === number)
        ?.data.toString('utf8') ?? null,
    requestCount: (method) => counts[method],
    failNext: (count, status) => {
      faults = { remaining: count, status };
    },
  };
  return { app, control };
}
