import { describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT } from '../../../../sandbox/drchrono/index.js';
import { HOUR_MS, sandboxWithClock } from './helpers.js';

function form(fields: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}

const client = { client_id: DEFAULT_CLIENT.clientId, client_secret: DEFAULT_CLIENT.clientSecret };

describe('DrChrono sandbox OAuth', () => {
  it('exchanges an authorization code for a 48-hour Bearer token pair', async () => {
    const s = sandboxWithClock();
    const code = s.control.issueAuthorizationCode();
    const response = await s.app.request(
      '/o/token/',
      form({ grant_type: 'authorization_code', code, redirect_uri: DEFAULT_CLIENT.redirectUri, ...client }),
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 172_800, scope: expect.any(String) });
    expect(body['access_token']).toEqual(expect.any(String));
    expect(body['refresh_token']).toEqual(expect.any(String));
    expect((await s.get('/api/doctors', body['access_token'] as string)).status).toBe(200);
  });

  it('rejects a reused authorization code and a mismatching redirect_uri with invalid_grant', async () => {
    const s = sandboxWithClock();
    const code = s.control.issueAuthorizationCode();
    const wrongRedirect = await s.app.request(
      '/o/token/',
      form({ grant_type: 'authorization_code', code, redirect_uri: 'http://evil.invalid/', ...client }),
    );
    expect(wrongRedirect.status).toBe(400);
    await s.app.request(
      '/o/token/',
      form({ grant_type: 'authorization_code', code, redirect_uri: DEFAULT_CLIENT.redirectUri, ...client }),
    );
    const reused = await s.app.request(
      '/o/token/',
      form({ grant_type: 'authorization_code', code, redirect_uri: DEFAULT_CLIENT.redirectUri, ...client }),
    );
    expect(reused.status).toBe(400);
    expect(await reused.json()).toEqual({ error: 'invalid_grant' });
  });

  it('redirects the authorize endpoint back with a code and the state', async () => {
    const s = sandboxWithClock();
    const response = await s.app.request(
      `/o/authorize/?response_type=code&client_id=${DEFAULT_CLIENT.clientId}&redirect_uri=${encodeURIComponent(DEFAULT_CLIENT.redirectUri)}&state=xyz`,
    );
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe('xyz');
    expect(location.searchParams.get('code')).toMatch(/^[0-9a-f]+$/);
  });

  it('refreshes once and answers invalid_grant when the same refresh token is used again', async () => {
    const s = sandboxWithClock();
    const refresh = () =>
      s.app.request(
        '/o/token/',
        form({ grant_type: 'refresh_token', refresh_token: s.tokens.refresh_token, ...client }),
      );
    const first = await refresh();
    expect(first.status).toBe(200);
    const pair = (await first.json()) as { access_token: string; refresh_token: string };
    expect(pair.refresh_token).not.toBe(s.tokens.refresh_token);
    const second = await refresh();
    expect(second.status).toBe(400);
    expect(await second.json()).toEqual({ error: 'invalid_grant' });
    expect(s.control.refreshCount()).toBe(1);
    expect((await s.get('/api/doctors', pair.access_token)).status).toBe(200);
    expect((await s.get('/api/doctors', s.tokens.access_token)).status).toBe(401); // old access token revoked by the refresh
  });

  it('answers invalid_client with 401 for a wrong secret or unknown client', async () => {
    const s = sandboxWithClock();
    const wrong = await s.app.request(
      '/o/token/',
      form({
        grant_type: 'refresh_token',
        refresh_token: s.tokens.refresh_token,
        client_id: DEFAULT_CLIENT.clientId,
        client_secret: 'nope',
      }),
    );
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'invalid_client' });
    const unknown = await s.app.request(
      '/o/token/',
      form({ grant_type: 'refresh_token', refresh_token: s.tokens.refresh_token, client_id: 'x', client_secret: 'y' }),
    );
    expect(unknown.status).toBe(401);
    expect(s.control.refreshCount()).toBe(0);
  });

  it('expires access tokens after their lifetime on the injected clock', async () => {
    const s = sandboxWithClock();
    s.clock.now += 48 * HOUR_MS - 1000;
    expect((await s.get('/api/doctors')).status).toBe(200);
    s.clock.now += 1000;
    const expired = await s.get('/api/doctors');
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { detail: string }).detail).toEqual(expect.any(String));
  });

  it('honours a configured access-token lifetime', async () => {
    const s = sandboxWithClock({ accessTokenLifetimeSeconds: 60 });
    expect(s.tokens.expires_in).toBe(60);
    s.clock.now += 60_000;
    expect((await s.get('/api/doctors')).status).toBe(401);
  });

  it('answers 401 in DRF style when the Authorization header is missing or the token unknown', async () => {
    const s = sandboxWithClock();
    const missing = await s.app.request('/api/patients');
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ detail: 'Authentication credentials were not provided.' });
    expect((await s.get('/api/patients', 'not-a-token')).status).toBe(401);
  });
});
