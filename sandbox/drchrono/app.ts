import { Hono } from 'hono';
import type { Context } from 'hono';
import { createSyntheticDataset, formatTimestamp } from '../synthetic/dataset.js';
import type { DrChronoRecord, SyntheticDataset } from '../synthetic/dataset.js';
import { DEFAULT_CLIENT, OAuthState } from './oauth.js';
import type { SandboxOAuthClient, TokenResponse } from './oauth.js';
import { RESOURCES, createSandboxStore } from './store.js';
import type { ResourceName, SandboxStore } from './store.js';
import { drchronoDefaultPageSize, drchronoPageCaps, drchronoVerboseOnlyFields } from '../../contract/drchrono-api.js';

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

export interface FaultOptions {
  /** HTTP status of the injected failure. @default 500 */
  readonly status?: 500 | 502 | 503 | 504;
}

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
  /** Creates a record (fake template values overridden by `fields`); `created_at`/`updated_at` = clock now. */
  create(resource: ResourceName, fields?: DrChronoRecord): DrChronoRecord;
  /** Patches a record and bumps `updated_at` to clock now (unless the patch sets `updated_at`). */
  update(resource: ResourceName, id: string | number, patch: DrChronoRecord): DrChronoRecord;
  /** Deletes like DrChrono: appointments get `deleted_flag: true`; other records vanish. */
  remove(resource: ResourceName, id: string | number): void;
  /** The record as the API would serialize it with verbose=true (what webhook deliveries carry), or null. */
  get(resource: ResourceName, id: string | number): DrChronoRecord | null;
  /** Visible records of a resource (patients/doctors O(1); children scan presence bits, no record building). */
  count(resource: ResourceName): number;
  /** The clock's now as a DrChrono timestamp. */
  nowTimestamp(): string;
}

export interface DrChronoSandbox {
  readonly app: Hono;
  readonly control: DrChronoSandboxControl;
}

/** DrChrono rejects appointment `date_range` spans longer than this. */
export const APPOINTMENT_DATE_RANGE_MAX_DAYS = 190;

/** Resources where DrChrono honours `since`; elsewhere it is ignored like any unknown query parameter. */
const SINCE_RESOURCES: ReadonlySet<ResourceName> = new Set(['patients', 'appointments', 'clinical_notes']);
const PATIENT_FILTER_RESOURCES: ReadonlySet<ResourceName> = new Set(['appointments', 'clinical_notes', 'medications', 'problems', 'allergies']);
const DOCTOR_FILTER_RESOURCES: ReadonlySet<ResourceName> = new Set(['patients', 'appointments', 'clinical_notes', 'medications', 'problems', 'allergies']);

const NOT_AUTHENTICATED = { detail: 'Authentication credentials were not provided.' };
const TOKEN_EXPIRED = { detail: 'Authentication credentials were not provided. Access token expired.' };

interface Cursor { s: number; p: number | null }

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/**
 * The list cursor that starts a page at a given slot (0-based position in list order, before filtering). Clients treat
 * cursors as opaque and follow `next`; tests use this to jump straight to a deep page.
 */
export function listCursorForSlot(slot: number): string {
  return encodeCursor({ s: slot, p: null });
}

function decodeCursor(raw: string): Cursor | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null) return null;
    const { s, p } = value as Record<string, unknown>;
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) return null;
    if (p !== null && (typeof p !== 'number' || !Number.isSafeInteger(p) || p < -1)) return null;
    return { s, p };
  } catch {
    return null;
  }
}

/** Normalises `YYYY-MM-DD` / `YYYY-MM-DDTHH:MM[:SS]` to a comparable zone-less timestamp, or null. */
function parseSince(raw: string): string | null {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/.exec(raw);
  if (!m) return null;
  const text = `${m[1]}T${m[2] ?? '00'}:${m[3] ?? '00'}:${m[4] ?? '00'}`;
  return Number.isNaN(Date.parse(`${text}Z`)) ? null : text;
}

function parseDate(raw: string): string | null {
  return /^\d{4}-\d{2}-\d{2}$/.test(raw) && !Number.isNaN(Date.parse(`${raw}T00:00:00Z`)) ? raw : null;
}

class BadRequest extends Error {
  override readonly name = 'BadRequest';
  constructor(readonly body: Record<string, unknown>) {
    super('bad request');
  }
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
  const dataset = options.dataset ?? createSyntheticDataset({
    seed: options.seed, patientCount: options.patientCount, doctorCount: options.doctorCount, epochMs: options.epochMs,
  });
  let hourlyBudget = options.hourlyCallBudget ?? 500;
  const lifetime = options.accessTokenLifetimeSeconds ?? 172_800;
  const clients = options.clients ?? [DEFAULT_CLIENT];
  const scanBudget = options.scanBudget ?? 100_000;
  const log = options.logger ?? (() => undefined);
  const checkBudget = (budget: number): void => {
    if (!Number.isInteger(budget) || budget < 0) throw new Error(`hourlyCallBudget must be an integer >= 0, got ${String(budget)}`);
  };
  checkBudget(hourlyBudget);
  if (!Number.isInteger(lifetime) || lifetime <= 0) throw new Error(`accessTokenLifetimeSeconds must be a positive integer, got ${String(lifetime)}`);
  if (clients.length === 0) throw new Error('clients must list at least one OAuth client');
  if (!Number.isInteger(scanBudget) || scanBudget < 1000) throw new Error(`scanBudget must be an integer >= 1000, got ${String(scanBudget)}`);

  const oauth = new OAuthState(clients, clock, lifetime, options.scope ?? 'user:read patients:read calendar:read clinical:read');
  const store: SandboxStore = createSandboxStore(dataset);
  const nowTimestamp = (): string => formatTimestamp(clock());

  // --- budget (fixed clock-hour windows per application) ---
  const usage = new Map<string, { hour: number; used: number }>();
  const usageFor = (clientId: string) => {
    const hour = Math.floor(clock() / 3_600_000);
    let entry = usage.get(clientId);
    if (!entry || entry.hour !== hour) {
      entry = { hour, used: 0 };
      usage.set(clientId, entry);
    }
    return entry;
  };

  // --- faults ---
  let apiRequests = 0;
  let latencyMs = 0;
  let failNextCount = 0;
  let failNextStatus = 500;
  const failAt = new Map<number, number>();
  let matchers: Array<{ predicate: (url: URL) => boolean; status: number; times: number }> = [];
  const faultFor = (url: URL): number | null => {
    if (failAt.has(apiRequests)) {
      const status = failAt.get(apiRequests)!;
      failAt.delete(apiRequests);
      return status;
    }
    if (failNextCount > 0) {
      failNextCount -= 1;
      return failNextStatus;
    }
    for (const m of matchers) {
      if (m.times > 0 && m.predicate(url)) {
        m.times -= 1;
        matchers = matchers.filter((x) => x.times > 0);
        return m.status;
      }
    }
    return null;
  };

  // --- serialization ---
  const noteSummaryFor = (appointment: DrChronoRecord): DrChronoRecord | null => {
    const slot = store.appointments.slotOfId(String(appointment['id']));
    let note: DrChronoRecord | null = slot !== null && slot < store.appointments.generatedSlots ? store.clinical_notes.recordAt(slot) : null;
    if (!note || note['appointment'] !== appointment['id']) {
      note = null;
      for (const entry of store.clinical_notes.overlay.values()) {
        if (!entry.hidden && entry.record['appointment'] === appointment['id']) note = entry.record;
      }
    }
    return note ? { locked: note['locked'], pdf: note['pdf'] ?? null, updated_at: note['updated_at'] } : null;
  };
  /**
   * The REST (and webhook) serializer, by DrChrono's schema: verbose-only fields only with `verbose`; a clinical note
   * carries its lock as `signee.locked_by` and has no `locked` (the store keeps `locked` as the sandbox's own truth).
   */
  const serialize = (resource: ResourceName, record: DrChronoRecord, verbose: boolean): DrChronoRecord => {
    const out: DrChronoRecord = { ...record };
    if (resource === 'clinical_notes') {
      const signee = out['signee'] && typeof out['signee'] === 'object' ? (out['signee'] as DrChronoRecord) : null;
      out['signee'] = out['locked'] === true
        ? { locked_by: out['doctor'] ?? null, locked_at: out['updated_at'] ?? null, ...signee }
        : null;
      delete out['locked'];
      return out;
    }
    if (verbose) {
      if (resource === 'appointments') out['clinical_note'] = noteSummaryFor(record);
      return out;
    }
    for (const key of drchronoVerboseOnlyFields[resource]) delete out[key];
    return out;
  };

  // --- list ---
  const listPage = (c: Context, resource: ResourceName): Response => {
    const url = new URL(c.req.url);
    const q = url.searchParams;
    const verbose = q.get('verbose') === 'true';
    const caps = drchronoPageCaps[resource];
    const max = verbose ? caps.verboseMax : caps.max;
    const requested = Number.parseInt(q.get('page_size') ?? '', 10);
    const pageSize = Math.min(Number.isInteger(requested) && requested > 0 ? requested : drchronoDefaultPageSize, max);

    const predicates: Array<(r: DrChronoRecord) => boolean> = [];
    let overlayOnly = false;
    const sinceRaw = q.get('since');
    const hasSince = sinceRaw !== null && SINCE_RESOURCES.has(resource);
    if (hasSince) {
      const since = parseSince(sinceRaw);
      if (!since) throw new BadRequest({ since: ['Enter a valid date/time.'] });
      predicates.push((r) => String(r['updated_at']) >= since);
      if (since > dataset.epochTimestamp) overlayOnly = true; // no generated record is newer than the epoch
    }
    let patientId: number | undefined;
    const patientRaw = q.get('patient');
    if (patientRaw !== null && PATIENT_FILTER_RESOURCES.has(resource)) {
      if (!/^\d+$/.test(patientRaw)) throw new BadRequest({ patient: ['Enter a whole number.'] });
      patientId = Number(patientRaw);
    }
    const doctorRaw = q.get('doctor');
    if (doctorRaw !== null && DOCTOR_FILTER_RESOURCES.has(resource)) {
      if (!/^\d+$/.test(doctorRaw)) throw new BadRequest({ doctor: ['Enter a whole number.'] });
      const doctorId = Number(doctorRaw);
      predicates.push((r) => r['doctor'] === doctorId);
    }
    if (resource === 'appointments') {
      const dateRaw = q.get('date');
      const rangeRaw = q.get('date_range');
      if (dateRaw !== null) {
        const date = parseDate(dateRaw);
        if (!date) throw new BadRequest({ date: ['Enter a valid date.'] });
        predicates.push((r) => String(r['scheduled_time']).startsWith(date));
      } else if (rangeRaw !== null) {
        const [startRaw, endRaw] = rangeRaw.split('/');
        const start = parseDate(startRaw ?? '');
        const end = parseDate(endRaw ?? '');
        if (!start || !end || end < start) throw new BadRequest({ date_range: ['Enter a valid date range: YYYY-MM-DD/YYYY-MM-DD.'] });
        const days = (Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / 86_400_000;
        if (days > APPOINTMENT_DATE_RANGE_MAX_DAYS) {
          throw new BadRequest({ date_range: [`Date range may not exceed ${APPOINTMENT_DATE_RANGE_MAX_DAYS} days.`] });
        }
        const endExclusive = `${end}T99`;
        predicates.push((r) => {
          const t = String(r['scheduled_time']);
          return t >= start && t < endExclusive;
        });
      } else if (!hasSince) {
        throw new BadRequest({ non_field_errors: ['One of date, date_range or since is required.'] });
      }
    }
    const match = (r: DrChronoRecord): boolean => predicates.every((p) => p(r));

    const rawCursor = q.get('cursor');
    const cursor = rawCursor === null ? { s: 0, p: -1 } : decodeCursor(rawCursor);
    if (!cursor) throw new BadRequest({ detail: 'Invalid cursor' });
    const table = store[resource];
    const forward = table.scan({ from: cursor.s, direction: 1, limit: pageSize + 1, budget: scanBudget, match, patientId, overlayOnly });
    const results = forward.items.slice(0, pageSize);
    const nextStart = forward.items.length > pageSize ? forward.items[pageSize]!.slot : forward.resume;

    const linkTo = (c2: Cursor | 'first'): string => {
      const link = new URL(url);
      if (c2 === 'first') link.searchParams.delete('cursor');
      else link.searchParams.set('cursor', encodeCursor(c2));
      return link.toString();
    };
    let previous: string | null = null;
    if (rawCursor !== null) {
      if (cursor.p === -1) previous = linkTo('first');
      else if (cursor.p !== null) previous = linkTo({ s: cursor.p, p: null });
      else {
        const back = table.scan({ from: cursor.s, direction: -1, limit: pageSize, budget: scanBudget, match, patientId, overlayOnly });
        if (back.items.length === pageSize || (back.resume !== null && back.items.length > 0)) {
          previous = linkTo({ s: back.items[back.items.length - 1]!.slot, p: null });
        } else if (back.items.length > 0) previous = linkTo('first');
      }
    }
    const next = nextStart === null ? null : linkTo({ s: nextStart, p: rawCursor === null ? -1 : cursor.s });
    return c.json({ previous, next, results: results.map((item) => serialize(resource, item.record, verbose)) });
  };

  // --- app ---
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
    const field = (name: string): string | undefined => (typeof body[name] === 'string' ? (body[name] as string) : undefined);
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
    const result = grantType === 'authorization_code'
      ? oauth.exchangeCode(client, field('code'), field('redirect_uri'))
      : grantType === 'refresh_token'
        ? oauth.refresh(client, field('refresh_token'))
        : ({ status: 400, body: { error: 'unsupported_grant_type' } } as const);
    const status = 'status' in result ? result.status : 200;
    log({ event: 'token', path: '/o/token/', status, clientId: client.clientId, grantType });
    return 'status' in result ? c.json(result.body, result.status) : c.json(result, 200);
  });

  app.use('/api/*', async (c, next) => {
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    const header = c.req.header('authorization') ?? '';
    const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const access = oauth.checkAccess(bearer);
    if (!access.ok) {
      c.header('WWW-Authenticate', `Bearer realm="api", error="invalid_token"`);
      log({ event: 'request', method: c.req.method, path: c.req.routePath, status: 401 });
      return c.json(access.reason === 'expired' ? TOKEN_EXPIRED : NOT_AUTHENTICATED, 401);
    }
    apiRequests += 1;
    const window = usageFor(access.clientId);
    if (window.used >= hourlyBudget) {
      log({ event: 'rate_limited', method: c.req.method, status: 429, clientId: access.clientId });
      return c.json({ detail: 'Request was throttled.' }, 429);
    }
    window.used += 1;
    const fault = faultFor(new URL(c.req.url));
    if (fault !== null) {
      log({ event: 'fault', method: c.req.method, status: fault, clientId: access.clientId });
      return c.text(`Server Error (${fault})`, fault as 500);
    }
    await next();
    log({ event: 'request', method: c.req.method, path: c.req.routePath, status: c.res.status, clientId: access.clientId });
  });

  for (const resource of RESOURCES) {
    app.get(`/api/${resource}`, (c) => listPage(c, resource));
    app.get(`/api/${resource}/:id`, (c) => {
      const record = store[resource].get(c.req.param('id'));
      if (!record) return c.json({ detail: 'Not found.' }, 404);
      return c.json(serialize(resource, record, c.req.query('verbose') === 'true'));
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
    callsUsed: (clientId) => usageFor(resolveClient(clientId)).used,
    setHourlyCallBudget: (budget) => {
      checkBudget(budget);
      hourlyBudget = budget;
    },
    apiRequestCount: () => apiRequests,
    failNext: (count, faultOptions) => {
      failNextCount = count;
      failNextStatus = faultOptions?.status ?? 500;
    },
    failRequest: (n, faultOptions) => {
      if (!Number.isInteger(n) || n < 1) throw new Error(`failRequest: n must be an integer >= 1, got ${String(n)}`);
      failAt.set(apiRequests + n, faultOptions?.status ?? 500);
    },
    failMatching: (predicate, faultOptions) => {
      matchers.push({ predicate, status: faultOptions?.status ?? 500, times: faultOptions?.times ?? 1 });
    },
    setLatencyMs: (ms) => {
      latencyMs = Math.max(0, ms);
    },
    clearFaults: () => {
      failNextCount = 0;
      failAt.clear();
      matchers = [];
      latencyMs = 0;
    },
    create: (resource, fields = {}) => serialize(resource, store[resource].create(fields, nowTimestamp()), true),
    update: (resource, id, patch) => serialize(resource, store[resource].update(id, patch, nowTimestamp()), true),
    remove: (resource, id) => store[resource].remove(id, nowTimestamp()),
    get: (resource, id) => {
      const record = store[resource].get(id);
      return record ? serialize(resource, record, true) : null;
    },
    count: (resource) => store[resource].count(),
    nowTimestamp,
  };
  return { app, control };
}
