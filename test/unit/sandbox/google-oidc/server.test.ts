import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startGoogleOidcSandbox } from '../../../../sandbox/google-oidc/index.js';
import type { RunningGoogleOidcSandbox } from '../../../../sandbox/google-oidc/index.js';

let running: RunningGoogleOidcSandbox;

beforeAll(async () => {
  running = await startGoogleOidcSandbox({ port: 0 });
});

afterAll(async () => {
  await running.close();
});

describe('startGoogleOidcSandbox', () => {
  it('serves the JWKS over loopback so jose verifies a minted token by URL', async () => {
    expect(running.jwksUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth2\/v3\/certs$/);
    const token = await running.control.mintIdToken({
      audience: 'https://svc.local',
      email: 'scheduler@p.iam.gserviceaccount.com',
    });
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(running.jwksUrl)), {
      issuer: 'https://accounts.google.com',
      audience: 'https://svc.local',
    });
    expect(payload.email).toBe('scheduler@p.iam.gserviceaccount.com');
  });

  it('serves the IAP JWKS over loopback', async () => {
    const token = await running.control.mintIapJwt({ audience: '/projects/1/apps/p', email: 'a@b.example' });
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(running.iapJwksUrl)), {
      issuer: 'https://cloud.google.com/iap',
      audience: '/projects/1/apps/p',
    });
    expect(payload.email).toBe('a@b.example');
  });
});
