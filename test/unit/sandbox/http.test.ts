import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { startSandbox } from '../../../sandbox/http.js';

const app = new Hono().get('/apis/v1/ping', (c) => c.text('pong'));

describe('startSandbox', () => {
  it('returns the one running-sandbox shape, with the API prefix in url', async () => {
    const control = { name: 'control' };
    const sandbox = await startSandbox(app, control, { pathPrefix: '/apis/v1' });
    try {
      expect(sandbox.url).toBe(`http://127.0.0.1:${sandbox.port}/apis/v1`);
      expect(sandbox.control).toBe(control);
      expect(await (await fetch(`${sandbox.url}/ping`)).text()).toBe('pong');
    } finally {
      await sandbox.close();
    }
  });

  it('runs onClose before the server stops', async () => {
    let disposed = 0;
    const sandbox = await startSandbox(app, {}, { onClose: () => (disposed += 1) });
    expect(sandbox.url).toBe(`http://127.0.0.1:${sandbox.port}`);
    await sandbox.close();
    expect(disposed).toBe(1);
  });

  it('refuses a path prefix without a leading slash or with a trailing one', async () => {
    await expect(startSandbox(app, {}, { pathPrefix: 'apis/v1' })).rejects.toThrow(/pathPrefix must start with "\/"/);
    await expect(startSandbox(app, {}, { pathPrefix: '/apis/v1/' })).rejects.toThrow(/pathPrefix/);
  });
});
