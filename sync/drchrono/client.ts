import type { Sql } from 'postgres';
import {
  createOutsideCaller,
  fail,
  ok,
  parseRetryAfter,
  retry,
  type OutsideAnswer,
  type OutsideAttempt,
  type Verdict,
} from '../http/outside-call.js';
import type { Logger } from '../observability/logger.js';
import { drchronoPathTemplate } from './access-log.js';
import { nextHourStart, realSleep, type CallBudget } from './budget.js';
import type { TokenManager } from './token-manager.js';
import {
  DrChronoAuthError,
  DrChronoHttpError,
  DrChronoNetworkError,
  DrChronoProtocolError,
  RateLimitedError,
} from './errors.js';
import type {
  CallPriority,
  DrChronoClient,
  DrChronoPage,
  DrChronoRecord,
  DrChronoCallKind,
  DrChronoEndpoint,
  ListOptions,
} from './types.js';

// The DrChrono REST client. HTTP attempts go through the shared outside-call pipeline (sync/http/outside-call.ts:
// timeout, one access_log row each, 5xx/network retries with jittered backoff or `Retry-After`). On top, this file
// keeps DrChrono's own protocol: every attempt reserves a slot in the shared hourly budget and carries a fresh access
// token; 401 → refresh once and call again; 429 → mark the hour full, then wait for the next clock hour (or throw);
// `next` links are followed only on DrChrono's origin.

export interface DrChronoClientOptions {
  /** Origin of the API, e.g. `https://app.drchrono.com` (lists at `${baseUrl}/api/<resource>`). */
  readonly baseUrl: string;
  readonly fetch: typeof globalThis.fetch;
  readonly tokens: TokenManager;
  readonly budget: CallBudget;
  /** Postgres client for access_log rows. */
  readonly sql: Sql;
  /** Epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
  /**
   * Waits for the next hour after a 429. Tests pass one that advances a fake clock. Backoff between 5xx/network
   * retries is the pipeline's own (real) wait, as it was with p-retry. @default setTimeout
   */
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

/** What a call expects back: a list envelope (`pages`) or one object, null on 404 (`get`). */
type Expect = 'list' | 'detail';

interface ListEnvelope {
  readonly results: DrChronoRecord[];
  readonly next?: string | null;
}

interface CallContext {
  readonly priority: CallPriority;
  readonly kind?: DrChronoCallKind | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly requestId?: string | undefined;
}

/** DrChrono answered 401 to the token of this attempt: the client refreshes once and calls again. Logged as DrChronoAuthError. */
class UnauthorizedAnswer extends DrChronoAuthError {}

/** DrChrono's rules for one answer to a GET. */
async function classifyAnswer(
  answer: OutsideAnswer,
  template: string,
  expect: Expect,
  clock: () => number,
): Promise<Verdict<unknown>> {
  const { response } = answer;
  if (!response) return retry(new DrChronoNetworkError(template, { cause: answer.networkError }));
  const { status } = response;
  if (status === 401) return fail(new UnauthorizedAnswer(`DrChrono answered 401 for ${template}`));
  if (status === 429) return fail(new RateLimitedError(nextHourStart(new Date(clock()))));
  if (status === 404 && expect === 'detail') return ok(null, null);
  if (status >= 500)
    return retry(new DrChronoHttpError(status, template), parseRetryAfter(response.headers.get('retry-after')));
  if (!response.ok) return fail(new DrChronoHttpError(status, template));
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    // A body cut off mid-stream is a transport failure; retry it like one.
    return retry(new DrChronoNetworkError(template, { cause: error }));
  }
  if (expect === 'list') {
    const page = body as { results?: unknown; next?: unknown } | null;
    if (
      !page ||
      !Array.isArray(page.results) ||
      (page.next !== null && page.next !== undefined && typeof page.next !== 'string')
    ) {
      return fail(new DrChronoProtocolError(template, 'not a list envelope'));
    }
    return ok(body, page.results.length);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body))
    return fail(new DrChronoProtocolError(template, 'not an object'));
  return ok(body, 1);
}

/**
 * Builds a {@link DrChronoClient}.
 * @throws Error when `baseUrl` is not an http(s) URL or `retries` is not a non-negative integer.
 */
export function createDrChronoClient(options: DrChronoClientOptions): DrChronoClient {
  const base = parseBaseUrl(options.baseUrl);
  const retries = options.retries ?? 4;
  if (!Number.isInteger(retries) || retries < 0)
    throw new Error(`createDrChronoClient: retries must be an integer >= 0, got ${String(retries)}`);
  const baseHref = base.href.replace(/\/+$/, '');
  const { tokens, budget, logger } = options;
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const on429 = options.on429 ?? 'wait';
  const caller = createOutsideCaller({
    service: 'drchrono',
    sql: options.sql,
    fetch: options.fetch,
    logger,
    retries,
    timeoutMs: options.requestTimeoutMs,
    minDelayMs: options.retryMinDelayMs,
    maxDelayMs: options.retryMaxDelayMs,
  });

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

  /** One GET as the pipeline runs it: each HTTP attempt reserves budget and takes a token (kept in `sent`, for a 401). */
  function getAttempt(
    url: URL,
    template: string,
    expect: Expect,
    ctx: CallContext,
    sent: { token: string },
  ): OutsideAttempt<unknown> {
    return {
      method: 'GET',
      pathTemplate: template,
      budgetClass: ctx.priority,
      async prepare() {
        await budget.reserve(ctx.priority, ctx.signal, ctx.kind);
        sent.token = await tokens.accessToken();
        return {
          request: {
            method: 'GET',
            url,
            headers: { authorization: `Bearer ${sent.token}`, accept: 'application/json' },
          },
        };
      },
      classify: (answer) => classifyAnswer(answer, template, expect, clock),
    };
  }

  /** After a 401: refresh once (another instance may already have); a second 401 means the new token is refused too. */
  async function refreshAfter401(template: string, rejectedToken: string, alreadyRefreshed: boolean): Promise<void> {
    if (alreadyRefreshed)
      throw new DrChronoAuthError(`DrChrono answered 401 for ${template} even with a refreshed access token`);
    await tokens.refreshAfterUnauthorized(rejectedToken);
  }

  /** After a 429: mark the hour full for every instance, then throw or sleep until the next clock hour. */
  async function waitOut429(error: RateLimitedError, template: string, signal: AbortSignal | undefined): Promise<void> {
    await budget.markHourExhausted();
    if (on429 === 'throw') throw error;
    const waitMs = Math.max(0, error.resetsAt.getTime() - clock());
    logger?.warn(
      { event: 'drchrono_rate_limited', pathTemplate: template, waitMs },
      'DrChrono answered 429; waiting for the next hour',
    );
    await sleep(waitMs, signal);
  }

  /** A logical GET: the pipeline's retries, then DrChrono's 401 and 429 handling, until an answer or a failure. */
  async function call(url: URL, expect: Expect, ctx: CallContext): Promise<unknown> {
    const template = drchronoPathTemplate(url);
    let refreshed = false;
    for (;;) {
      const sent = { token: '' };
      try {
        return await caller.call(getAttempt(url, template, expect, ctx, sent), {
          signal: ctx.signal,
          requestId: ctx.requestId,
        });
      } catch (error) {
        if (error instanceof UnauthorizedAnswer) {
          await refreshAfter401(template, sent.token, refreshed);
          refreshed = true;
        } else if (error instanceof RateLimitedError) {
          await waitOut429(error, template, ctx.signal);
        } else {
          throw error;
        }
      }
    }
  }

  return {
    async *pages(
      resource: DrChronoEndpoint,
      query: Record<string, string>,
      listOptions: ListOptions = {},
    ): AsyncGenerator<DrChronoPage> {
      const ctx: CallContext = {
        priority: listOptions.priority ?? 'sync',
        kind: listOptions.budgetKind,
        signal: listOptions.signal,
        requestId: listOptions.requestId,
      };
      let url: URL | null;
      if (listOptions.startUrl) {
        url = onOrigin(listOptions.startUrl, `/api/${resource}`);
      } else {
        url = new URL(`${baseHref}/api/${resource}`);
        for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
      }
      while (url) {
        const body = (await call(url, 'list', ctx)) as ListEnvelope;
        const next = typeof body.next === 'string' && body.next.length > 0 ? body.next : null;
        const nextUrl: URL | null = next === null ? null : onOrigin(next, drchronoPathTemplate(url));
        yield { results: body.results, next: nextUrl?.href ?? null };
        url = nextUrl;
      }
    },

    async get(resource, id, getOptions = {}) {
      const ctx: CallContext = {
        priority: getOptions.priority ?? 'sync',
        kind: getOptions.budgetKind,
        signal: getOptions.signal,
        requestId: getOptions.requestId,
      };
      return (await call(
        new URL(`${baseHref}/api/${resource}/${encodeURIComponent(id)}`),
        'detail',
        ctx,
      )) as DrChronoRecord | null;
    },
  };
}

/** @throws Error when `baseUrl` is not an absolute http(s) URL. */
function parseBaseUrl(baseUrl: string): URL {
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    throw new Error(
      `createDrChronoClient: baseUrl must be an absolute URL, e.g. https://app.drchrono.com, got "${baseUrl}"`,
    );
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:')
    throw new Error(`createDrChronoClient: baseUrl must be http(s), got ${base.protocol}`);
  return base;
}
