import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import { errorHandler } from '../../../../handlers/middleware/errors.js';
import { httpError, statusFor, type ErrorStatusRow } from '../../../../handlers/middleware/http-error.js';

const silent = { info() {}, warn() {}, error() {}, debug() {} } as never;

const appThrowing = (error: unknown) => {
  const app = new Hono();
  app.onError(errorHandler(silent));
  app.get('/', () => {
    throw error;
  });
  return app;
};

describe('httpError', () => {
  it('should answer its status with a JSON body { error, ...extra } through the app error handler', async () => {
    const res = await appThrowing(httpError(413, 'payload too large', { max_bytes: 10 })).request('/');
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ error: 'payload too large', max_bytes: 10 });
  });

  it('should carry extra headers such as WWW-Authenticate', async () => {
    const res = await appThrowing(
      httpError(401, 'unauthorized', undefined, { headers: { 'WWW-Authenticate': 'Bearer' } }),
    ).request('/');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(await res.json()).toEqual({ error: 'unauthorized' });
  });

  it('should be an HTTPException with the phrase as message and the cause kept (never sent)', async () => {
    const cause = new Error('secret detail');
    const error = httpError(503, 'coda unavailable', undefined, { cause });
    expect(error).toBeInstanceOf(HTTPException);
    expect(error.status).toBe(503);
    expect(error.message).toBe('coda unavailable');
    expect(error.cause).toBe(cause);
    const res = await appThrowing(error).request('/');
    expect(await res.text()).not.toContain('secret detail');
  });
});

class BaseError extends Error {}
class SpecificError extends BaseError {
  constructor(readonly code: number) {
    super(`code ${code}`);
  }
}
class UnrelatedError extends Error {}

describe('statusFor', () => {
  const table: readonly ErrorStatusRow[] = [
    [SpecificError, 503, 'unavailable', (e) => (e as SpecificError).code >= 500],
    [SpecificError, 400, (e) => `bad: ${e.message}`],
    [BaseError, 500, 'refused'],
  ];

  it('should answer the first row whose class matches and whose condition holds', () => {
    expect(statusFor(new SpecificError(502), table)).toEqual({ status: 503, phrase: 'unavailable' });
    expect(statusFor(new SpecificError(404), table)).toEqual({ status: 400, phrase: 'bad: code 404' });
    expect(statusFor(new BaseError('x'), table)).toEqual({ status: 500, phrase: 'refused' });
  });

  it('should answer undefined for an error the table does not know, or a non-error', () => {
    expect(statusFor(new UnrelatedError(), table)).toBeUndefined();
    expect(statusFor('boom', table)).toBeUndefined();
    expect(statusFor(undefined, table)).toBeUndefined();
  });
});
