import { Hono } from 'hono';
import { beforeEach, describe, expect, it } from 'vitest';
import { errorHandler } from '../../../../handlers/middleware/errors.js';
import { httpError } from '../../../../handlers/middleware/http-error.js';
import {
  DEFAULT_MAX_BODY_BYTES,
  jsonBody,
  type JsonBodyRefusal,
  type JsonBodyVariables,
} from '../../../../handlers/middleware/json-body.js';

const silent = { info() {}, warn() {}, error() {}, debug() {} } as never;

describe('jsonBody', () => {
  let app: Hono<{ Variables: JsonBodyVariables }>;
  let handlerRan: boolean;
  let refusals: JsonBodyRefusal[];

  beforeEach(() => {
    handlerRan = false;
    refusals = [];
    app = new Hono<{ Variables: JsonBodyVariables }>();
    app.onError(errorHandler(silent));
    const echo = (c: { get: (k: 'rawBody' | 'jsonBody') => unknown; json: (v: unknown) => Response }) => {
      handlerRan = true;
      return c.json({ raw: c.get('rawBody'), parsed: c.get('jsonBody') });
    };
    app.post('/default', jsonBody(), echo as never);
    app.post('/small', jsonBody({ maxBytes: 16, onRefuse: (_c, r) => refusals.push(r) }), echo as never);
    app.post(
      '/verified',
      jsonBody({
        verify: (c, raw) => {
          if (c.req.header('x-signature') !== `len:${raw.length}`) throw httpError(401, 'unauthorized');
        },
      }),
      echo as never,
    );
  });

  const post = (
    path: string,
    body: string | ReadableStream,
    headers: Record<string, string> = { 'Content-Type': 'application/json' },
    init: RequestInit = {},
  ) => app.request(path, { method: 'POST', body, headers, ...init });

  it('should pass the raw text and the parsed value to the next handler', async () => {
    const res = await post('/default', ' {"a":[1,2]} ');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ raw: ' {"a":[1,2]} ', parsed: { a: [1, 2] } });
    expect(handlerRan).toBe(true);
  });

  it('should accept application/json with a charset parameter, in any case', async () => {
    for (const type of [
      'application/json; charset=utf-8',
      'Application/JSON;charset=UTF-8',
      'application/json ; charset=utf-8',
    ]) {
      expect((await post('/default', '{}', { 'Content-Type': type })).status, type).toBe(200);
    }
  });

  it('should refuse with 415 when the content type is not application/json', async () => {
    for (const type of [
      'text/plain',
      'application/jsonx',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      '',
    ]) {
      const res = await post('/small', '{}', type ? { 'Content-Type': type } : {});
      expect(res.status, type).toBe(415);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ error: 'unsupported media type', expected: 'application/json' });
    }
    expect(handlerRan).toBe(false);
    expect(refusals[0]).toEqual({ status: 415, reason: 'unsupported media type' });
  });

  it('should refuse with 413 over maxBytes when Content-Length says so', async () => {
    const res = await post('/small', JSON.stringify({ a: 'x'.repeat(20) }), {
      'Content-Type': 'application/json',
      'Content-Length': '28',
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: 'payload too large', max_bytes: 16 });
    expect(handlerRan).toBe(false);
    expect(refusals).toEqual([{ status: 413, reason: 'payload too large' }]);
  });

  it('should refuse with 413 over maxBytes for a streamed body without Content-Length', async () => {
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"a":"'));
        controller.enqueue(new TextEncoder().encode('x'.repeat(32)));
        controller.enqueue(new TextEncoder().encode('"}'));
        controller.close();
      },
    });
    const res = await post('/small', stream, { 'Content-Type': 'application/json' }, { duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(handlerRan).toBe(false);
  });

  it('should accept a body of exactly maxBytes', async () => {
    const body = JSON.stringify({ a: 'x'.repeat(8) }); // 16 bytes
    expect(Buffer.byteLength(body)).toBe(16);
    expect((await post('/small', body)).status).toBe(200);
  });

  it('should refuse malformed JSON with 400, and an empty body too', async () => {
    for (const body of ['{"a":', 'abc', '']) {
      const res = await post('/default', body);
      expect(res.status, body).toBe(400);
      expect(await res.json()).toEqual({ error: 'malformed JSON' });
    }
    expect(handlerRan).toBe(false);
  });

  it('should run verify on the raw text before parsing, so an unverified body is refused before it is parsed', async () => {
    expect(
      (await post('/verified', 'not json', { 'Content-Type': 'application/json', 'x-signature': 'wrong' })).status,
    ).toBe(401);
    expect(
      (await post('/verified', 'not json', { 'Content-Type': 'application/json', 'x-signature': 'len:8' })).status,
    ).toBe(400);
    expect(
      (await post('/verified', '[1]', { 'Content-Type': 'application/json', 'x-signature': 'len:3' })).status,
    ).toBe(200);
  });

  it('should throw at setup for a maxBytes that is not a positive integer', () => {
    for (const maxBytes of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => jsonBody({ maxBytes }), String(maxBytes)).toThrow(/jsonBody: maxBytes must be a positive integer/);
    }
    expect(() => jsonBody({})).not.toThrow();
  });

  it('should default to a 1 MiB cap', () => {
    expect(DEFAULT_MAX_BODY_BYTES).toBe(1024 * 1024);
  });

  it('should be a named middleware, easy to spot in stack traces', () => {
    expect(jsonBody().name).toBe('jsonBody');
  });
});
