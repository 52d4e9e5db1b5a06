import pRetry from 'p-retry';
import type { Logger } from '../observability/logger.js';
import type { Sql } from 'postgres';
import { createAccessLogWriter, drchronoPathTemplate, type AccessLogWriter } from './access-log.js';
import { nextHourStart, realSleep, type CallBudget } from './budget.js';
import type { TokenManager } from './token-manager.js';
import { DrChronoAuthError, DrChronoHttpError, DrChronoNetworkError, DrChronoProtocolError, RateLimitedError } from './errors.js';
import type { CallPriority, DrChronoClient, DrChronoPage, DrChronoRecord, DrChronoResource, ListOptions } from './types.js';

// The DrChrono REST client: every call reserves a slot in the shared hourly budget, carries a fresh access token,
// writes one access_log row, and handles DrChrono's failure modes — 401 (refresh once, retry), 429 (wait for the next
// clock hour or throw), 5xx/network (bounded retries with jittered exponential backoff, each retry a new call).

export interface DrChronoClientOptions {
  /** Origin of the API, e.g. `https://app.drchrono.com` (lists at `${baseUrl}/api/<resource>`). */
  readonly baseUrl: string;
  readonly fetch: typeof globalThis.fetch;
  readonly tokens: TokenManager;
  readonly budget: CallBudget;
  /** Postgres client for access_log rows. */
  readonly sql: Sql;
  /** @default () => new Date() */
  readonly clock?: () => Date;
  /** Waits for the next hour after a 429. Tests pass one that advances a fake clock. @default setTimeout */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly logger?: Logger;
  /**
   * Retries after a 5xx or a network error (so up to `retries + 1` calls, each reserving budget). Integer ≥ 0.
   * @default 4
   */
  readonly retries?: number;
  /** First backoff delay in ms; doubles per retry and is multiplied by a random 1–2 (jitter). @default 1000 */
  readonly retryMinDelayMs?: number;
  /** Largest backoff delay in ms. @default 30000 */
  readonly retryMaxDelayMs?: number;
  /** Per-call timeout in ms; a timeout counts as a network error. @default 30000 */
  readonly requestTimeoutMs?: number;
  /**
   * On 429: `wait` sleeps until the next clock hour (DrChrono's window reset) and continues; `throw` throws
   * {@link RateLimitedError}. Either way the shared budget is marked full for the hour.
   * @default 'wait'
   */
  readonly on429?: 'wait' | 'throw';
}

type Outcome =
  | { readonly kind: 'ok'; readonly body: unknown }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'unauthorized'; readonly rejectedToken: string }
  | { readonly kind: 'rate_limited' };

interface CallContext {
  readonly priority: CallPriority;
  readonly signal?: AbortSignal | undefined;
  readonly requestId?: string | undefined;
  readonly expect: 'list' | 'detail';
}

const isRetryable = (error: unknown): boolean =>
  error instanceof DrChronoNetworkError || (error instanceof DrChronoHttpError && error.status >= 500);

/**
 * Builds a {@link DrChronoClient}.
 * @throws Error when `baseUrl` is not an http(s) URL or `retries` is not a non-negative integer.
 */
export function createDrChronoClient(options: DrChronoClientOptions): DrChronoClient {
  let base: URL;
  try {
    base = new URL(options.baseUrl);
  } catch {
    throw new Error(`createDrChronoClient: baseUrl must be an absolute URL, e.g. https://app.drchrono.com, got "${options.baseUrl}"`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new Error(`createDrChronoClient: baseUrl must be http(s), got ${base.protocol}`);
  const retries = options.retries ?? 4;
  if (!Number.isInteger(retries) || retries < 0) throw new Error(`createDrChronoClient: retries must be an integer >= 0, got ${String(retries)}`);
  const baseHref = base.href.replace(/\/+$/, '');
  const { tokens, budget, logger } = options;
  const fetchFn = options.fetch;
  const clock = options.clock ?? (() => new Date());
  const sleep = options.sleep ?? realSleep;
  const on429 = options.on429 ?? 'wait';
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const accessLog: AccessLogWriter = createAccessLogWriter(options.sql);

  /** Only follow links on DrChrono's own origin: the bearer token must never go anywhere else. */
  function onOrigin(href: string, template: string): URL {
    let url: URL;
    try {
      url = new URL(href, `${baseHref}/`);
    } catch {
      throw new DrChronoProtocolError(template, 'next is not a URL');
    }
    if (url.origin !== base.origin) throw new DrChronoProtocolError(template, 'next points to another origin');
    return url;
  }

  /** One HTTP call: budget, token, fetch, access_log. Throws only what may be retried or must stop the call. */
  async function attempt(url: URL, template: string, ctx: CallContext): Promise<Outcome> {
    await budget.reserve(ctx.priority, ctx.signal);
    const token = await tokens.accessToken();
    const started = performance.now();
    let status: number | null = null;
    let recordCount: number | null = null;
    let errorClass: string | null = null;
    try {
      let response: Response;
      try {
        const timeout = AbortSignal.timeout(timeoutMs);
        response = await fetchFn(url, {
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
          signal: ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout,
        });
      } catch (error) {
        if (ctx.signal?.aborted) throw error;
        throw new DrChronoNetworkError(template, { cause: error });
      }
      status = response.status;
      if (status === 401 || status === 429 || (status === 404 && ctx.expect === 'detail')) {
        await response.body?.cancel();
        if (status === 401) {
          errorClass = 'DrChronoAuthError';
          return { kind: 'unauthorized', rejectedToken: token };
        }
        if (status === 429) {
          errorClass = 'RateLimitedError';
          return { kind: 'rate_limited' };
        }
        return { kind: 'not_found' };
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new DrChronoHttpError(status, template);
      }
      let body: unknown;
      try {
        body = await response.json();
      } catch (error) {
        // A body cut off mid-stream is a transport failure; retry it like one.
        throw new DrChronoNetworkError(template, { cause: error });
      }
      if (ctx.expect === 'list') {
        const page = body as { results?: unknown; next?: unknown } | null;
        if (!page || !Array.isArray(page.results) || (page.next !== null && page.next !== undefined && typeof page.next !== 'string')) {
          throw new DrChronoProtocolError(template, 'not a list envelope');
        }
        recordCount = page.results.length;
      } else {
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw new DrChronoProtocolError(template, 'not an object');
        recordCount = 1;
      }
      return { kind: 'ok', body };
    } catch (error) {
      errorClass = error instanceof Error ? error.name : 'Error';
      throw error;
    } finally {
      await accessLog({ method: 'GET', pathTemplate: template, status, durationMs: performance.now() - started, recordCount, errorClass, requestId: ctx.requestId });
    }
  }

  /** A logical call: retries 5xx/network, refreshes once on 401, waits out (or throws on) 429. */
  async function call(url: URL, ctx: CallContext): Promise<{ kind: 'ok'; body: unknown } | { kind: 'not_found' }> {
    const template = drchronoPathTemplate(url);
    let refreshed = false;
    for (;;) {
      const outcome = await pRetry(() => attempt(url, template, ctx), {
        retries,
        factor: 2,
        minTimeout: options.retryMinDelayMs ?? 1000,
        maxTimeout: options.retryMaxDelayMs ?? 30_000,
        randomize: true,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        shouldRetry: ({ error }) => isRetryable(error),
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          if (isRetryable(error)) {
            logger?.warn({ event: 'drchrono_call_retry', pathTemplate: template, status: error instanceof DrChronoHttpError ? error.status : null, attemptNumber, retriesLeft, err: error }, 'DrChrono call failed');
          }
        },
      });
      if (outcome.kind === 'unauthorized') {
        if (refreshed) throw new DrChronoAuthError(`DrChrono answered 401 for ${template} even with a refreshed access token`);
        refreshed = true;
        await tokens.refreshAfterUnauthorized(outcome.rejectedToken);
        continue;
      }
      if (outcome.kind === 'rate_limited') {
        const resetsAt = nextHourStart(clock());
        await budget.markHourExhausted();
        if (on429 === 'throw') throw new RateLimitedError(resetsAt);
        const waitMs = Math.max(0, resetsAt.getTime() - clock().getTime());
        logger?.warn({ event: 'drchrono_rate_limited', pathTemplate: template, waitMs }, 'DrChrono answered 429; waiting for the next hour');
        await sleep(waitMs, ctx.signal);
        continue;
      }
      return outcome;
    }
  }

  return {
    async *pages(resource: DrChronoResource, query: Record<string, string>, listOptions: ListOptions = {}): AsyncGenerator<DrChronoPage> {
      const ctx: CallContext = { priority: listOptions.priority ?? 'sync', signal: listOptions.signal, requestId: listOptions.requestId, expect: 'list' };
      let url: URL | null;
      if (listOptions.startUrl) {
        url = onOrigin(listOptions.startUrl, `/api/${resource}`);
      } else {
        url = new URL(`${baseHref}/api/${resource}`);
        for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
      }
      while (url) {
        const template = drchronoPathTemplate(url);
        const outcome = await call(url, ctx);
        if (outcome.kind === 'not_found') throw new DrChronoHttpError(404, template);
        const body = outcome.body as { results: DrChronoRecord[]; next?: string | null };
        const next = typeof body.next === 'string' && body.next.length > 0 ? body.next : null;
        const nextUrl = next === null ? null : onOrigin(next, template);
        yield { results: body.results, next: nextUrl?.href ?? null };
        url = nextUrl;
      }
    },

    async get(resource, id, getOptions = {}) {
      const ctx: CallContext = { priority: getOptions.priority ?? 'sync', signal: getOptions.signal, requestId: getOptions.requestId, expect: 'detail' };
      const outcome = await call(new URL(`${baseHref}/api/${resource}/${encodeURIComponent(id)}`), ctx);
      return outcome.kind === 'ok' ? (outcome.body as DrChronoRecord) : null;
    },
  };
}
