import { describe, expect, it } from 'vitest';
import {
  createOutsideCaller,
  fail,
  ok,
  parseRetryAfter,
  retry,
  type OutsideAnswer,
  type OutsideAttempt,
  type OutsideCallerOptions,
  type Verdict,
} from '../../../sync/http/outside-call.js';
import { recordingSql } from '../coda/helpers.js';

class TestHttpError extends Error {
  override name = 'TestHttpError';
}
class TestNetworkError extends Error {
  override name = 'TestNetworkError';
}

/** A fetch that answers the scripted statuses in turn (then 200 `{"n":1}`), recording each request. */
function scriptedFetch(script: Array<number | { status: number; headers?: Record<string, string> }>) {
  const requests: Array<{ url: string; init: RequestInit | undefined }> = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    requests.push({ url: String(input), init });
    const next = script.shift() ?? 200;
    const { status, headers } = typeof next === 'number' ? { status: next, headers: {} } : next;
    return new Response(status === 200 ? JSON.stringify({ n: 1 }) : 'no', { status, headers });
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

/** The test API's rules: no answer and 5xx/429 retry (with Retry-After), other 4xx fail, 200 reads `{n}`. */
async function classify(answer: OutsideAnswer): Promise<Verdict<number>> {
  if (!answer.response) return retry(new TestNetworkError('no answer', { cause: answer.networkError }));
  const { status } = answer.response;
  const retryAfterMs = parseRetryAfter(answer.response.headers.get('retry-after'));
  if (status === 429 || status >= 500) return retry(new TestHttpError(String(status)), retryAfterMs);
  if (!answer.response.ok) return fail(new TestHttpError(String(status)));
  const body = (await answer.response.json()) as { n: number };
  return ok(body.n, 1);
}

function setup(fetch: typeof globalThis.fetch, options: Partial<OutsideCallerOptions> = {}) {
  const log = recordingSql();
  const waits: number[] = [];
  const caller = createOutsideCaller({
    service: 'coda',
    sql: log.sql,
    fetch,
    retries: 3,
    minDelayMs: 100,
    maxDelayMs: 1000,
    random: () => 0,
    sleep: async (ms) => void waits.push(ms),
    ...options,
  });
  let prepared = 0;
  let released = 0;
  const attempt: OutsideAttempt<number> = {
    method: 'GET',
    pathTemplate: '/things/{id}',
    async prepare() {
      prepared += 1;
      return {
        request: {
          method: 'GET',
          url: new URL('http://api.test/things/42?secret=q'),
          headers: { accept: 'application/json' },
        },
        release: () => void (released += 1),
      };
    },
    classify,
  };
  // values: service, method, path_template, status, duration_ms, record_count, error_class, request_id
  const rows = () =>
    log.rows.map(([service, method, template, status, , count, errorClass, requestId]) => [
      service,
      method,
      template,
      status,
      count,
      errorClass,
      requestId,
    ]);
  return { caller, attempt, waits, rows, counts: () => ({ prepared, released }) };
}

describe('createOutsideCaller', () => {
  it('retries with growing jittered delays and writes one access_log row per HTTP attempt', async () => {
    const { fetch, requests } = scriptedFetch([503, 500, 502]);
    const { caller, attempt, waits, rows, counts } = setup(fetch);
    await expect(caller.call(attempt, { requestId: 'req-1' })).resolves.toBe(1);
    expect(waits).toEqual([100, 200, 400]);
    expect(requests).toHaveLength(4);
    expect(counts()).toEqual({ prepared: 4, released: 4 });
    expect(rows()).toEqual([
      ['coda', 'GET', '/things/{id}', 503, null, 'TestHttpError', 'req-1'],
      ['coda', 'GET', '/things/{id}', 500, null, 'TestHttpError', 'req-1'],
      ['coda', 'GET', '/things/{id}', 502, null, 'TestHttpError', 'req-1'],
      ['coda', 'GET', '/things/{id}', 200, 1, null, 'req-1'],
    ]);
    expect(JSON.stringify(rows())).not.toContain('secret');
  });

  it('waits Retry-After instead of the backoff when the answer sends one, capped at maxDelayMs', async () => {
    const { fetch } = scriptedFetch([
      { status: 429, headers: { 'retry-after': '3' } },
      { status: 503, headers: { 'retry-after': '0' } },
      503,
    ]);
    const { caller, attempt, waits } = setup(fetch, { maxDelayMs: 2000 });
    await caller.call(attempt);
    // 3 s capped at 2 s; 0 s honoured as is (not added to a backoff); then the backoff of the third attempt.
    expect(waits).toEqual([2000, 0, 400]);
  });

  it('jitters the backoff by a random factor of 1 to 2', async () => {
    const { fetch } = scriptedFetch([500, 500]);
    const { caller, attempt, waits } = setup(fetch, { random: () => 0.5 });
    await caller.call(attempt);
    expect(waits).toEqual([150, 300]);
    expect(caller.delayMs(5)).toBe(1000);
    expect(caller.delayMs(0, 250)).toBe(250);
  });

  it('counts a timeout as a network failure, classified and retried like a refused connection', async () => {
    let calls = 0;
    const fetch = ((_url: string | URL | Request, init?: RequestInit) => {
      calls += 1;
      if (calls > 1) return Promise.resolve(new Response('{"n":2}', { status: 200 }));
      // Hangs until the per-attempt timeout aborts it.
      return new Promise<Response>((_resolve, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal!.reason as Error)),
      );
    }) as typeof globalThis.fetch;
    const seen: unknown[] = [];
    const { caller, attempt, waits, rows } = setup(fetch, { timeoutMs: 20 });
    const value = await caller.call({
      ...attempt,
      classify: (answer) => (seen.push(answer.networkError), classify(answer)),
    });
    expect(value).toBe(2);
    expect((seen[0] as Error).name).toBe('TimeoutError');
    expect(waits).toEqual([100]);
    expect(rows()).toEqual([
      ['coda', 'GET', '/things/{id}', null, null, 'TestNetworkError', null],
      ['coda', 'GET', '/things/{id}', 200, 1, null, null],
    ]);
  });

  it('throws a fail verdict at once, and the last retry error when the retries are used up', async () => {
    const failing = setup(scriptedFetch([400]).fetch);
    await expect(failing.caller.call(failing.attempt)).rejects.toThrow(TestHttpError);
    expect(failing.waits).toEqual([]);
    expect(failing.rows()).toEqual([['coda', 'GET', '/things/{id}', 400, null, 'TestHttpError', null]]);

    const storm = setup(scriptedFetch([500, 500, 500, 500, 500]).fetch, { retries: 2 });
    await expect(storm.caller.call(storm.attempt)).rejects.toThrow(TestHttpError);
    expect(storm.waits).toEqual([100, 200]);
    expect(storm.rows()).toHaveLength(3);
  });

  it('lets a call override the retries (0: the caller retries itself, using delayMs)', async () => {
    const { caller, attempt, waits, rows } = setup(scriptedFetch([503, 503]).fetch);
    await expect(caller.call(attempt, { retries: 0 })).rejects.toThrow(TestHttpError);
    expect(waits).toEqual([]);
    expect(rows()).toHaveLength(1);
    expect(caller.retries).toBe(3);
  });

  it("rethrows the caller's abort as is, without classifying it or trying again", async () => {
    const controller = new AbortController();
    const fetch = ((_url: string | URL | Request, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal!.reason as Error));
        controller.abort(new Error('caller gone'));
      })) as typeof globalThis.fetch;
    let classified = 0;
    const { caller, attempt, waits, rows, counts } = setup(fetch);
    await expect(
      caller.call({ ...attempt, classify: (a) => ((classified += 1), classify(a)) }, { signal: controller.signal }),
    ).rejects.toThrow('caller gone');
    expect(classified).toBe(0);
    expect(waits).toEqual([]);
    expect(counts()).toEqual({ prepared: 1, released: 1 });
    expect(rows()).toEqual([['coda', 'GET', '/things/{id}', null, null, 'Error', null]]);
    await expect(caller.call(attempt, { signal: controller.signal })).rejects.toThrow('caller gone');
    expect(counts().prepared).toBe(1);
  });

  it('writes no row when prepare fails (no HTTP attempt was made)', async () => {
    const { caller, attempt, rows } = setup(scriptedFetch([]).fetch);
    await expect(caller.call({ ...attempt, prepare: () => Promise.reject(new Error('no budget')) })).rejects.toThrow(
      'no budget',
    );
    expect(rows()).toEqual([]);
  });

  it('refuses bad options when built', () => {
    const { fetch } = scriptedFetch([]);
    expect(() => setup(fetch, { retries: -1 })).toThrow(/retries must be an integer >= 0/);
    expect(() => setup(fetch, { timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
