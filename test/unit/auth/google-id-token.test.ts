import type { FetchImplementation } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGoogleOidcSandbox, type GoogleOidcSandbox } from '../../../sandbox/google-oidc/index.js';
import {
  createGoogleIdTokenVerifier,
  ForbiddenIdentityError,
  InvalidTokenError,
  MissingCredentialsError,
  VerifierUnavailableError,
  type AuthError,
  type GoogleIdTokenVerifierOptions,
} from '../../../sync/auth/index.js';

const AUDIENCE = 'https://drchrono-sync.example.run.app';
const SCHEDULER = 'scheduler@feel-august.iam.gserviceaccount.com';

let sandbox: GoogleOidcSandbox;
/** Routes jose's JWKS fetch into the sandbox app in-process; the URL stays Google's real one. */
let viaSandbox: FetchImplementation;
beforeAll(async () => {
  sandbox = await createGoogleOidcSandbox();
  viaSandbox = async (url, init) => sandbox.app.request(url, { method: init.method, headers: init.headers });
});

const verifier = (overrides: Partial<GoogleIdTokenVerifierOptions> = {}) =>
  createGoogleIdTokenVerifier({ audience: AUDIENCE, allowedEmails: [SCHEDULER], fetch: viaSandbox, ...overrides });

const mint = (overrides: Partial<Parameters<GoogleOidcSandbox['control']['mintIdToken']>[0]> = {}) =>
  sandbox.control.mintIdToken({ audience: AUDIENCE, email: SCHEDULER, ...overrides });

async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error('expected the verifier to refuse');
  return error as AuthError;
}

describe('createGoogleIdTokenVerifier', () => {
  it('accepts a Google ID token for our audience from an allowed service account', async () => {
    const identity = await verifier().verify(await mint());
    expect(identity.email).toBe(SCHEDULER);
    expect(identity.subject).toMatch(/^\d{21}$/);
  });

  it('accepts either spelling of the Google issuer', async () => {
    await expect(verifier().verify(await mint({ issuer: 'accounts.google.com' }))).resolves.toMatchObject({
      email: SCHEDULER,
    });
  });

  it('accepts any of several configured audiences and compares emails case-insensitively', async () => {
    const v = verifier({ audience: ['https://other.example', AUDIENCE], allowedEmails: [SCHEDULER.toUpperCase()] });
    await expect(v.verify(await mint())).resolves.toMatchObject({ email: SCHEDULER });
  });

  it('refuses an expired token as invalid (401)', async () => {
    const error = await refusal(verifier().verify(await mint({ expiresInSeconds: -600 })));
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect(error).toMatchObject({ reason: 'expired', status: 401 });
  });

  it('allows the configured clock skew and no more', async () => {
    const justExpired = await mint({ expiresInSeconds: -30 });
    await expect(verifier().verify(justExpired)).resolves.toMatchObject({ email: SCHEDULER });
    const error = await refusal(verifier({ clockToleranceSeconds: 0 }).verify(justExpired));
    expect(error).toMatchObject({ reason: 'expired', status: 401 });
  });

  it('reads time from the injected clock', async () => {
    const token = await mint({ expiresInSeconds: 3600 });
    const later = verifier({ clock: () => Date.now() + 2 * 3_600_000 });
    expect(await refusal(later.verify(token))).toMatchObject({ reason: 'expired' });
  });

  it('refuses a token signed by a key the JWKS does not hold (401)', async () => {
    const error = await refusal(verifier().verify(await mint({ signWithUnknownKey: true })));
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect(error).toMatchObject({ reason: 'bad_signature', status: 401 });
  });

  it('refuses a token from another issuer (401)', async () => {
    const error = await refusal(verifier().verify(await mint({ issuer: 'https://evil.example' })));
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect(error).toMatchObject({ reason: 'wrong_issuer', status: 401 });
  });

  it('refuses a genuine token for another audience as forbidden (403)', async () => {
    const error = await refusal(verifier().verify(await mint({ audience: 'https://coda-push.example.run.app' })));
    expect(error).toBeInstanceOf(ForbiddenIdentityError);
    expect(error).toMatchObject({ reason: 'wrong_audience', status: 403 });
    expect(error.identityHash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('refuses an email that is not in the allow-list (403)', async () => {
    const error = await refusal(verifier().verify(await mint({ email: 'someone-else@other.iam.gserviceaccount.com' })));
    expect(error).toBeInstanceOf(ForbiddenIdentityError);
    expect(error).toMatchObject({ reason: 'email_not_allowed', status: 403 });
  });

  it('refuses an allowed email whose email_verified is false (403)', async () => {
    const error = await refusal(verifier().verify(await mint({ emailVerified: false })));
    expect(error).toBeInstanceOf(ForbiddenIdentityError);
    expect(error).toMatchObject({ reason: 'email_not_verified', status: 403 });
  });

  it('checks the signature before the audience, so a forged token for another audience is 401, not 403', async () => {
    const forged = await mint({ audience: 'https://elsewhere.example', signWithUnknownKey: true });
    expect(await refusal(verifier().verify(forged))).toMatchObject({ reason: 'bad_signature', status: 401 });
  });

  it.each([
    ['garbage', 'not-a-jwt'],
    ['two segments', 'aGVsbG8.d29ybGQ'],
    ['bad base64 JSON', 'e30.e30.e30x'],
    ['an oversized value', `${'a'.repeat(9000)}.b.c`],
  ])('refuses a malformed token (%s) as invalid (401)', async (_label, token) => {
    const error = await refusal(verifier().verify(token));
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect(error).toMatchObject({ status: 401 });
  });

  it('refuses an IAP JWT (ES256, other key set) presented as an ID token (401)', async () => {
    const iapJwt = await sandbox.control.mintIapJwt({ audience: AUDIENCE, email: SCHEDULER });
    expect(await refusal(verifier().verify(iapJwt))).toMatchObject({ status: 401 });
  });

  it('treats an empty token as missing credentials (401)', async () => {
    const error = await refusal(verifier().verify(''));
    expect(error).toBeInstanceOf(MissingCredentialsError);
    expect(error).toMatchObject({ reason: 'missing_credentials', status: 401 });
  });

  it('answers 503-class when the JWKS cannot be fetched, because the token may be fine', async () => {
    const down = verifier({ fetch: async () => new Response('oops', { status: 500 }) });
    const error = await refusal(down.verify(await mint()));
    expect(error).toBeInstanceOf(VerifierUnavailableError);
    expect(error).toMatchObject({ status: 503 });
    const unreachable = verifier({ fetch: () => Promise.reject(new TypeError('fetch failed')) });
    expect(await refusal(unreachable.verify(await mint()))).toBeInstanceOf(VerifierUnavailableError);
  });

  it('works against the sandbox served on a loopback port (real HTTP)', async () => {
    const { startGoogleOidcSandbox } = await import('../../../sandbox/google-oidc/index.js');
    const running = await startGoogleOidcSandbox();
    try {
      const v = createGoogleIdTokenVerifier({
        jwksUrl: running.jwksUrl,
        audience: AUDIENCE,
        allowedEmails: [SCHEDULER],
      });
      const token = await running.control.mintIdToken({ audience: AUDIENCE, email: SCHEDULER });
      await expect(v.verify(token)).resolves.toMatchObject({ email: SCHEDULER });
    } finally {
      await running.close();
    }
  });

  describe('setup', () => {
    it.each<[string, Partial<GoogleIdTokenVerifierOptions>, RegExp]>([
      ['no audience', { audience: [] }, /audience: needs at least one value/],
      ['a blank audience', { audience: ' ' }, /audience: values must be non-empty/],
      ['no allowed emails', { allowedEmails: [] }, /allowedEmails: needs at least one value/],
      ['a non-email', { allowedEmails: ['scheduler'] }, /allowedEmails: "scheduler" is not an email address/],
      ['a relative JWKS URL', { jwksUrl: '/certs' }, /jwksUrl: must be an absolute URL/],
      ['plain http off loopback', { jwksUrl: 'http://keys.example/certs' }, /jwksUrl: must be an https URL/],
      ['an absurd clock skew', { clockToleranceSeconds: 3600 }, /clockToleranceSeconds/],
    ])('throws a plain Error for %s', (_label, overrides, message) => {
      expect(() => verifier(overrides)).toThrow(message);
    });
  });
});
