import type { FetchImplementation } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGoogleOidcSandbox, type GoogleOidcSandbox } from '../../../sandbox/google-oidc/index.js';
import {
  createIapVerifier,
  ForbiddenIdentityError,
  InvalidTokenError,
  type AuthError,
  type IapVerifierOptions,
} from '../../../sync/auth/index.js';

const AUDIENCE = '/projects/123456789/global/backendServices/987654321';
const STAFF = 'Front.Desk@feelaugust.example';

let sandbox: GoogleOidcSandbox;
let viaSandbox: FetchImplementation;
beforeAll(async () => {
  sandbox = await createGoogleOidcSandbox();
  viaSandbox = async (url, init) => sandbox.app.request(url, { method: init.method, headers: init.headers });
});

const verifier = (overrides: Partial<IapVerifierOptions> = {}) =>
  createIapVerifier({ audience: AUDIENCE, fetch: viaSandbox, ...overrides });
const mint = (overrides: Partial<Parameters<GoogleOidcSandbox['control']['mintIapJwt']>[0]> = {}) =>
  sandbox.control.mintIapJwt({ audience: AUDIENCE, email: STAFF, ...overrides });
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e as AuthError,
  );

describe('createIapVerifier', () => {
  it('accepts an IAP assertion for our backend service and returns the lower-cased email', async () => {
    const identity = await verifier().verify(await mint());
    expect(identity.email).toBe('front.desk@feelaugust.example');
    expect(identity.subject).toMatch(/^accounts\.google\.com:\d+$/);
  });

  it('refuses an expired assertion (401)', async () => {
    const error = await refusal(verifier().verify(await mint({ expiresInSeconds: -600 })));
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect(error).toMatchObject({ reason: 'expired', status: 401 });
  });

  it('refuses an assertion signed by a key IAP does not publish (401)', async () => {
    expect(await refusal(verifier().verify(await mint({ signWithUnknownKey: true })))).toMatchObject({
      reason: 'bad_signature',
      status: 401,
    });
  });

  it('refuses an assertion from another issuer (401)', async () => {
    expect(await refusal(verifier().verify(await mint({ issuer: 'https://accounts.google.com' })))).toMatchObject({
      reason: 'wrong_issuer',
      status: 401,
    });
  });

  it('refuses a genuine assertion for another backend service (403)', async () => {
    const error = await refusal(verifier().verify(await mint({ audience: '/projects/1/global/backendServices/2' })));
    expect(error).toBeInstanceOf(ForbiddenIdentityError);
    expect(error).toMatchObject({ reason: 'wrong_audience', status: 403 });
  });

  it('refuses a Google ID token (RS256) in the IAP header (401)', async () => {
    const idToken = await sandbox.control.mintIdToken({ audience: AUDIENCE, email: STAFF });
    expect(await refusal(verifier().verify(idToken))).toMatchObject({ reason: 'alg_not_allowed', status: 401 });
  });

  it('refuses a malformed assertion (401)', async () => {
    expect(await refusal(verifier().verify('a.b'))).toMatchObject({ reason: 'malformed', status: 401 });
  });

  it('throws a plain Error at setup without an audience', () => {
    expect(() => verifier({ audience: '' })).toThrow(/audience/);
  });
});
