import { Hono } from 'hono';
import { createSyntheticDataset, formatTimestamp } from '../synthetic/dataset.js';
import type { DrChronoRecord, SyntheticDataset } from '../synthetic/dataset.js';
import { createCallBudget } from './budget.js';
import { BadRequest, NOT_AUTHENTICATED, TOKEN_EXPIRED } from './errors.js';
import { createFaultInjector, type FaultOptions } from './faults.js';
import { DEFAULT_CLIENT, OAuthState } from './oauth.js';
import type { SandboxOAuthClient, TokenResponse } from './oauth.js';
import { listFilter } from './filters.js';
import { createListPager } from './paging.js';
import { createSandboxLabApi, isLabResource } from './lab-api.js';
import { drchronoLabResources } from '../../contract/drchrono-resources.js';
import type { DrChronoLabResource } from '../../contract/drchrono-resources.js';
import { createSerializer } from './serialize.js';
import { logBillingChange } from './billing-logs.js';
import { LOG_ENDPOINTS, RESOURCES, createSandboxStore } from './store.js';
import type { EndpointName, ResourceName, SandboxStore } from './store.js';

// The factory wires the parts and declares the routes (OAuth and /api); each concern is its own file: budget.ts (hourly call budget),
// faults.ts (injected failures and latency), serialize.ts (REST/webhook shapes), filters.ts and paging.ts (list
// queries and cursors), oauth.ts (tokens), store.ts (records), errors.ts (DrChrono's error bodies).

/** Structured sandbox log line. Never carries query values or record contents (they are synthetic PHI). */
export interface SandboxLogEntry {
  readonly event: 'request' | 'token' | 'fault' | 'rate_limited';
  readonly method?: string;
  /** Route template, e.g. `/api/patients/:id`. */
  readonly path?: string;
  readonly status?: number;
  readonly clientId?: string;
  readonly grantType?: string;
}

export interface DrChronoSandboxOptions {
  /**
   * Clock in epoch milliseconds; drives token expiry, the hourly budget window and `updated_at` of mutations.
   * @default Date.now
   */
  readonly clock?: () => number;
  /** Pre-built dataset; when set, `seed`, `patientCount`, `doctorCount` and `epochMs` are ignored. */
  readonly dataset?: SyntheticDataset;
  /** @default 1 */
  readonly seed?: number;
  /** Generated patients, 0..1,000,000. @default 500 */
  readonly patientCount?: number;
  /** @default 5 */
  readonly doctorCount?: number;
  /** Dataset "now" (no generated record is newer). @default Date.UTC(2026, 2, 1) */
  readonly epochMs?: number;
  /** API calls per application per clock hour; over it → 429 without Retry-After. @default 500 */
  readonly hourlyCallBudget?: number;
  /** Access-token lifetime in seconds. @default 172800 (48 h) */
  readonly accessTokenLifetimeSeconds?: number;
  /** Registered API applications. @default one client, {@link DEFAULT_CLIENT} */
  readonly clients?: readonly SandboxOAuthClient[];
  /** `scope` returned by the token endpoint. @default 'user:read patients:read calendar:read clinical:read' */
  readonly scope?: string;
  /**
   * Max slots one list request examines before returning a (possibly short) page with a `next` link; keeps sparse
   * filters over a million-patient dataset cheap.
   * @default 100000
   */
  readonly scanBudget?: number;
  /** Receives one entry per request; the sandbox never writes to the console. */
  readonly logger?: (entry: SandboxLogEntry) => void;
}

/** What `control` can create, change and read: the resources the sync reads and the lab resources. */
export type SandboxControlResource = ResourceName | DrChronoLabResource;

export interface DrChronoSandboxControl {
  readonly dataset: SyntheticDataset;
  /** The default application's client id (the first configured client). */
  readonly clientId: string;
  /** Issues a token pair without the browser flow, for local setup and tests. */
  issueTokenPair(clientId?: string): TokenResponse;
  /** Issues an authorization code to exchange at `POST /o/token/` (grant_type=authorization_code). */
  issueAuthorizationCode(clientId?: string, redirectUri?: string): string;
  /** Number of successful refresh_token grants for a client. */
  refreshCount(clientId?: string): number;
  /** Marks every issued access token expired now. */
  expireAccessTokens(): void;
  /** Calls counted against the budget in the current clock hour. */
  callsUsed(clientId?: string): number;
  /** Changes the hourly budget from now on. */
  setHourlyCallBudget(budget: number): void;
  /** Authenticated `/api` requests served since creation (including failed and rate-limited ones). */
  apiRequestCount(): number;
  /** Fails the next `count` API requests (after auth and budget) with a 5xx. */
  failNext(count: number, options?: FaultOptions): void;
  /** Fails only the `n`-th API request from now (1 = the next one), e.g. the 3rd page of a walk. */
  failRequest(n: number, options?: FaultOptions): void;
  /** Fails requests whose URL matches, `times` times (default 1). */
  failMatching(predicate: (url: URL) => boolean, options?: FaultOptions & { times?: number }): void;
  /** Adds latency (real milliseconds, not the injected clock) before every API response. */
  setLatencyMs(ms: number): void;
  clearFaults(): void;
  /**
   * Creates a record (fake template values overridden by `fields`); `created_at`/`updated_at` = clock now where the
   * resource has them. A patient payment also gets a `patient_payment_log` entry with action 'C'.
   */
  create(resource: SandboxControlResource, fields?: DrChronoRecord): DrChronoRecord;
  /**
   * Patches a record and bumps `updated_at` to clock now (unless the patch sets `updated_at`). A patient payment also
   * gets a 'U' log entry.
   */
  update(resource: SandboxControlResource, id: string | number, patch: DrChronoRecord): DrChronoRecord;
  /**
   * Deletes like DrChrono: appointments get `deleted_flag: true`; other records vanish. A line item also gets a
   * `line_item_deletions` entry, a patient payment a 'D' log entry (both at clock now); transactions just vanish.
   */
  remove(resource: SandboxControlResource, id: string | number): void;
  /** The record as the API would serialize it with verbose=true (what webhook deliveries carry), or null. */
  get(resource: SandboxControlResource, id: string | number): DrChronoRecord | null;
  /**
   * Every record a list request with these query parameters would return (all pages, verbose), using the endpoint's
   * own filters, e.g. `find('line_items', { appointment: '10000004' })`. Appointments need `since` or a date here too.
   * @throws BadRequest for a malformed filter, as the API would answer 400.
   */
  find(resource: EndpointName, query?: Record<string, string>): DrChronoRecord[];
  /** Visible records of an endpoint (patients/doctors O(1); others scan presence checks, no record building). */
  count(resource: EndpointName | DrChronoLabResource): number;
  /** The clock's now as a DrChrono timestamp. */
  nowTimestamp(): string;
}

export interface DrChronoSandbox {
  readonly app: Hono;
  readonly control: DrChronoSandboxControl;
}

/**
 * Creates the DrChrono stand-in: a Hono app serving `POST /o/token/`, `GET /o/authorize/` and the `/api/*` list and
 * detail endpoints, plus a control surface for tests and `npm start`.
 *
 * @throws Error on invalid options (budget, lifetime, clients).
 * @example
 * const { app, control } = createDrChronoSandbox({ patientCount: 100, clock: () => now });
 * const { access_token } = control.issueTokenPair();
 * const res = await app.request('/api/patients', { headers: { authorization: `Bearer ${access_token}` } });
 */
export function createDrChronoSandbox(options: DrChronoSandboxOptions = {}): DrChronoSandbox {
  const clock = options.clock ?? Date.now;
  const dataset =
    options.dataset ??
    createSyntheticDataset({
      seed: options.seed,
      patientCount: options.patientCount,
      doctorCount: options.doctorCount,
      epochMs: options.epochMs,
    });
  const lifetime = options.accessTokenLifetimeSeconds ?? 172_800;
  const clients = options.clients ?? [DEFAULT_CLIENT];
  const scanBudget = options.scanBudget ?? 100_000;
  const log = options.logger ?? (() => undefined);
  const budget = createCallBudget(options.hourlyCallBudget ?? 500, clock);
  if (!Number.isInteger(lifetime) || lifetime <= 0)
    throw new Error(`accessTokenLifetimeSeconds must be a positive integer, got ${String(lifetime)}`);
  if (clients.length === 0) throw new Error('clients must list at least one OAuth client');
  if (!Number.isInteger(scanBudget) || scanBudget < 1000)
    throw new Error(`scanBudget must be an integer >= 1000, got ${String(scanBudget)}`);

  const oauth = new OAuthState(
    clients,
    clock,
    lifetime,
    options.scope ?? 'user:read patients:read calendar:read clinical:read',
  );
  const store: SandboxStore = createSandboxStore(dataset);
  const nowTimestamp = (): string => formatTimestamp(clock());
  const faults = createFaultInjector();
  const serialize = createSerializer(store);
  const listPage = createListPager({ store, serialize, epochTimestamp: dataset.epochTimestamp, scanBudget });
  const labs = createSandboxLabApi({ dataset, scanBudget });

  const app = new Hono({ strict: false });

  app.onError((error, c) => {
    if (error instanceof BadRequest) return c.json(error.body, 400);
    return c.json({ detail: 'A server error occurred.' }, 500);
  });
  app.notFound((c) => c.json({ detail: 'Not found.' }, 404));

  app.get('/o/authorize', (c) => {
    const clientId = c.req.query('client_id');
    const redirectUri = c.req.query('redirect_uri');
    if (!clientId || !oauth.hasClient(clientId) || !redirectUri) return c.json({ error: 'invalid_request' }, 400);
    const code = oauth.issueCode(clientId, redirectUri);
    const target = new URL(redirectUri);
    target.searchParams.set('code', code);
    const state = c.req.query('state');
    if (state !== undefined) target.searchParams.set('state', state);
    return c.redirect(target.toString(), 302);
  });

  app.post('/o/token', async (c) => {
    const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const field = (name: string): string | undefined =>
      typeof body[name] === 'string' ? (body[name] as string) : undefined;
    let clientId = field('client_id');
    let clientSecret = field('client_secret');
    const basic = /^Basic\s+(.+)$/i.exec(c.req.header('authorization') ?? '');
    if (basic?.[1]) {
      const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
      clientId = id;
      clientSecret = secret;
    }
    const grantType = field('grant_type');
    c.header('Cache-Control', 'no-store');
    const client = oauth.authenticateClient(clientId, clientSecret);
    if (!client) {
      log({ event: 'token', path: '/o/token/', status: 401, grantType });
      return c.json({ error: 'invalid_client' }, 401);
    }
    const result =
      grantType === 'authorization_code'
        ? oauth.exchangeCode(client, field('code'), field('redirect_uri'))
        : grantType === 'refresh_token'
          ? oauth.refresh(client, field('refresh_token'))
          : ({ status: 400, body: { error: 'unsupported_grant_type' } } as const);
    const status = 'status' in result ? result.status : 200;
    log({ event: 'token', path: '/o/token/', status, clientId: client.clientId, grantType });
    return 'status' in result ? c.json(result.body, result.status) : c.json(result, 200);
  });

  app.use('/api/*', async (c, next) => {
    const latencyMs = faults.latencyMs();
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    const header = c.req.header('authorization') ?? '';
    const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const access = oauth.checkAccess(bearer);
    if (!access.ok) {
      c.header('WWW-Authenticate', `Bearer realm="api", error="invalid_token"`);
      log({ event: 'request', method: c.req.method, path: c.req.routePath, status: 401 });
      return c.json(access.reason === 'expired' ? TOKEN_EXPIRED : NOT_AUTHENTICATED, 401);
    }
    faults.countRequest();
    if (!budget.take(access.clientId)) {
      log({ event: 'rate_limited', method: c.req.method, status: 429, clientId: access.clientId });
      return c.json({ detail: 'Request was throttled.' }, 429);
    }
    const fault = faults.faultFor(new URL(c.req.url));
    if (fault !== null) {
      log({ event: 'fault', method: c.req.method, status: fault, clientId: access.clientId });
      return c.text(`Server Error (${fault})`, fault as 500);
    }
    await next();
    log({
      event: 'request',
      method: c.req.method,
      path: c.req.routePath,
      status: c.res.status,
      clientId: access.clientId,
    });
  });

  for (const resource of RESOURCES) {
    app.get(`/api/${resource}`, (c) => c.json(listPage(new URL(c.req.url), resource)));
    app.get(`/api/${resource}/:id`, (c) => {
      const record = store[resource].get(c.req.param('id'));
      if (!record) return c.json({ detail: 'Not found.' }, 404);
      return c.json(serialize(resource, record, c.req.query('verbose') === 'true'));
    });
  }
  for (const log of LOG_ENDPOINTS) app.get(`/api/${log}`, (c) => c.json(listPage(new URL(c.req.url), log)));
  for (const resource of drchronoLabResources) {
    app.get(`/api/${resource}`, (c) => c.json(labs.list(new URL(c.req.url), resource)));
    app.get(`/api/${resource}/:id`, (c) => {
      const record = labs.detail(resource, c.req.param('id'));
      return record ? c.json(record) : c.json({ detail: 'Not found.' }, 404);
    });
  }

  const resolveClient = (clientId?: string): string => clientId ?? oauth.defaultClientId;
  const control: DrChronoSandboxControl = {
    dataset,
    clientId: oauth.defaultClientId,
    issueTokenPair: (clientId) => oauth.issuePair(resolveClient(clientId)),
    issueAuthorizationCode: (clientId, redirectUri) => oauth.issueCode(resolveClient(clientId), redirectUri),
    refreshCount: (clientId) => oauth.refreshCount(resolveClient(clientId)),
    expireAccessTokens: () => oauth.expireAllAccessTokens(),
    callsUsed: (clientId) => budget.used(resolveClient(clientId)),
    setHourlyCallBudget: (next) => budget.setHourlyBudget(next),
    apiRequestCount: () => faults.requestCount(),
    failNext: (count, faultOptions) => faults.failNext(count, faultOptions),
    failRequest: (n, faultOptions) => faults.failRequest(n, faultOptions),
    failMatching: (predicate, faultOptions) => faults.failMatching(predicate, faultOptions),
    setLatencyMs: (ms) => faults.setLatencyMs(ms),
    clearFaults: () => faults.clear(),
    create: (resource, fields = {}) => {
      if (isLabResource(resource)) return labs.create(resource, fields, nowTimestamp());
      const record = serialize(resource, store[resource].create(fields, nowTimestamp()), true);
      logBillingChange(store, resource, 'C', record, nowTimestamp());
      return record;
    },
    update: (resource, id, patch) => {
      if (isLabResource(resource)) return labs.update(resource, id, patch, nowTimestamp());
      const record = serialize(resource, store[resource].update(id, patch, nowTimestamp()), true);
      logBillingChange(store, resource, 'U', record, nowTimestamp());
      return record;
    },
    remove: (resource, id) => {
      if (isLabResource(resource)) return labs.remove(resource, id);
      const before = store[resource].get(id);
      store[resource].remove(id, nowTimestamp());
      if (before) logBillingChange(store, resource, 'D', serialize(resource, before, true), nowTimestamp());
    },
    get: (resource, id) => {
      if (isLabResource(resource)) return labs.get(resource, id);
      const record = store[resource].get(id);
      return record ? serialize(resource, record, true) : null;
    },
    find: (resource, query = {}) => {
      const { match, scope, overlayOnly } = listFilter(resource, new URLSearchParams(query), dataset.epochTimestamp);
      const found = store[resource].scan({
        from: 0,
        direction: 1,
        limit: Number.POSITIVE_INFINITY,
        budget: Number.POSITIVE_INFINITY,
        match,
        scope,
        overlayOnly,
      });
      return found.items.map((item) => serialize(resource, item.record, true));
    },
    count: (resource) => (isLabResource(resource) ? labs.count(resource) : store[resource].count()),
    nowTimestamp,
  };
  return { app, control };
}
