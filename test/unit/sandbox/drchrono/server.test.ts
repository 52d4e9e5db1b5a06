import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT, startDrChronoSandbox } from '../../../../sandbox/drchrono/index.js';
import type { RunningDrChronoSandbox } from '../../../../sandbox/drchrono/index.js';

describe('startDrChronoSandbox', () => {
  let sandbox: RunningDrChronoSandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  it('listens on a free loopback port and serves the token endpoint and paginated lists over real HTTP', async () => {
    sandbox = await startDrChronoSandbox({ patientCount: 120, port: 0 });
    expect(sandbox.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const code = sandbox.control.issueAuthorizationCode();
    const tokenResponse = await fetch(`${sandbox.url}/o/token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: DEFAULT_CLIENT.redirectUri,
        client_id: DEFAULT_CLIENT.clientId,
        client_secret: DEFAULT_CLIENT.clientSecret,
      }),
    });
    const { access_token } = (await tokenResponse.json()) as { access_token: string };
    let url: string | null = `${sandbox.url}/api/patients?page_size=50`;
    const ids: number[] = [];
    while (url) {
      expect(url.startsWith(sandbox.url)).toBe(true);
      const response = await fetch(url, { headers: { authorization: `Bearer ${access_token}` } });
      const body = (await response.json()) as { next: string | null; results: Array<{ id: number }> };
      ids.push(...body.results.map((r) => r.id));
      url = body.next;
    }
    expect(ids).toHaveLength(120);
    expect(sandbox.control.callsUsed()).toBe(3);
  });
});
