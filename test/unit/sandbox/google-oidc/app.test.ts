import { beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, customFetch, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import type { FetchImplementation } from 'jose';
import { createGoogleOidcSandbox } from '../../../../sandbox/google-oidc/index.js';
import type { GoogleOidcSandbox } from '../../../../sandbox/google-oidc/index.js';

const ORIGIN = 'http://oidc.test';
const AUDIENCE = 'https://coda-push.example.run.app/pubsub/push';
const PUSH_SA = 'pubsub-push@feel-august.iam.gserviceaccount.com';
const IAP_AUDIENCE = '/projects/123456789012/global/backendServices/987654321';

let sandbox: GoogleOidcSandbox;
const clock = 1_700_000_000_000;

/** A JWKS resolver that fetches from the in-process app, as a verifier would over HTTP. */
function remoteJwks(path: string) {
  const inProcess: FetchImplementation = async (url, init) =>
    sandbox.app.request(url, { headers: init.headers, method: init.method });
  return createRemoteJWKSet(new URL(`${ORIGIN}${path}`), { [customFetch]: inProcess });
}

beforeAll(async () => {
  sandbox = await createGoogleOidcSandbox({ clock: () => clock });
});

describe('JWKS and discovery endpoints', () => {
  it('serves an RS256 JWKS with kid, like Google certs', async () => {
    const res = await sandbox.app.request(`${ORIGIN}/oauth2/v3/certs`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { keys: Array<Record<string, unknown>> };
    expect(body.keys).toHaveLength(1);
    expect(body.keys[0]).toMatchObject({
      kty: 'RSA',
      alg: 'RS256',
      use: 'sig',
      kid: sandbox.control.idTokenKid,
      n: expect.any(String),
      e: 'AQAB',
    });
    expect(body.keys[0]).not.toHaveProperty('d');
  });

  it('serves an ES256 IAP JWKS without private parts', async () => {
    const body = (await (await sandbox.app.request(`${ORIGIN}/iap/verify/public_key-jwk`)).json()) as {
      keys: Array<Record<string, unknown>>;
    };
    expect(body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: sandbox.control.iapKid });
    expect(body.keys[0]).not.toHaveProperty('d');
  });

  it('serves a discovery document pointing at the served JWKS', async () => {
    const body = (await (await sandbox.app.request(`${ORIGIN}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(body).toMatchObject({ issuer: 'https://accounts.google.com', jwks_uri: `${ORIGIN}/oauth2/v3/certs` });
  });
});

describe('ID tokens', () => {
  it('mints a token that verifies against the served JWKS with Google claims', async () => {
    const token = await sandbox.control.mintIdToken({ audience: AUDIENCE, email: PUSH_SA });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: sandbox.control.idTokenKid, typ: 'JWT' });
    const { payload } = await jwtVerify(token, remoteJwks('/oauth2/v3/certs'), {
      issuer: 'https://accounts.google.com',
      audience: AUDIENCE,
      currentDate: new Date(clock),
    });
    expect(payload).toMatchObject({
      iss: 'https://accounts.google.com',
      aud: AUDIENCE,
      email: PUSH_SA,
      email_verified: true,
      sub: expect.stringMatching(/^\d{21}$/),
      iat: clock / 1000,
      exp: clock / 1000 + 3600,
    });
    expect(payload.azp).toBe(payload.sub);
  });

  it('carries the given subject, issuer and email_verified', async () => {
    const token = await sandbox.control.mintIdToken({
      audience: AUDIENCE,
      email: PUSH_SA,
      subject: '42',
      issuer: 'accounts.google.com',
      emailVerified: false,
    });
    const { payload } = await jwtVerify(token, remoteJwks('/oauth2/v3/certs'), { currentDate: new Date(clock) });
    expect(payload).toMatchObject({ sub: '42', iss: 'accounts.google.com', email_verified: false });
  });

  it('mints a token signed by an unknown key that fails signature verification', async () => {
    const token = await sandbox.control.mintIdToken({ audience: AUDIENCE, email: PUSH_SA, signWithUnknownKey: true });
    await expect(
      jwtVerify(token, remoteJwks('/oauth2/v3/certs'), { currentDate: new Date(clock) }),
    ).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });

  it('mints an expired token that fails verification', async () => {
    const token = await sandbox.control.mintIdToken({ audience: AUDIENCE, email: PUSH_SA, expiresInSeconds: -60 });
    await expect(
      jwtVerify(token, remoteJwks('/oauth2/v3/certs'), { currentDate: new Date(clock) }),
    ).rejects.toBeInstanceOf(errors.JWTExpired);
  });

  it('fails verification for another audience', async () => {
    const token = await sandbox.control.mintIdToken({ audience: 'https://other.example', email: PUSH_SA });
    await expect(
      jwtVerify(token, remoteJwks('/oauth2/v3/certs'), { audience: AUDIENCE, currentDate: new Date(clock) }),
    ).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);
  });

  it('does not verify an ID token against the IAP JWKS', async () => {
    const token = await sandbox.control.mintIdToken({ audience: AUDIENCE, email: PUSH_SA });
    await expect(
      jwtVerify(token, remoteJwks('/iap/verify/public_key-jwk'), { currentDate: new Date(clock) }),
    ).rejects.toThrow();
  });
});

describe('IAP JWTs', () => {
  it('mints an ES256 IAP JWT that verifies against the IAP JWKS', async () => {
    const token = await sandbox.control.mintIapJwt({ audience: IAP_AUDIENCE, email: 'staff@feelaugust.example' });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: sandbox.control.iapKid });
    const { payload } = await jwtVerify(token, remoteJwks('/iap/verify/public_key-jwk'), {
      issuer: 'https://cloud.google.com/iap',
      audience: IAP_AUDIENCE,
      currentDate: new Date(clock),
    });
    expect(payload).toMatchObject({
      email: 'staff@feelaugust.example',
      hd: 'feelaugust.example',
      sub: expect.stringMatching(/^accounts\.google\.com:\d+$/),
      exp: clock / 1000 + 600,
    });
  });

  it('mints an IAP JWT with a bad signature on request', async () => {
    const token = await sandbox.control.mintIapJwt({
      audience: IAP_AUDIENCE,
      email: 'staff@feelaugust.example',
      signWithUnknownKey: true,
    });
    await expect(
      jwtVerify(token, remoteJwks('/iap/verify/public_key-jwk'), { currentDate: new Date(clock) }),
    ).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });

  it('mints an expired IAP JWT that fails verification', async () => {
    const token = await sandbox.control.mintIapJwt({
      audience: IAP_AUDIENCE,
      email: 'staff@feelaugust.example',
      expiresInSeconds: -1,
    });
    await expect(
      jwtVerify(token, remoteJwks('/iap/verify/public_key-jwk'), { currentDate: new Date(clock) }),
    ).rejects.toBeInstanceOf(errors.JWTExpired);
  });
});
