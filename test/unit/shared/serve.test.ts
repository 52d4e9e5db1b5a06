import { afterEach, describe, expect, it } from 'vitest';
import { serveHttp, type RunningServer } from '../../../shared/serve.js';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('serveHttp', () => {
  it('serves a fetch handler on a free loopback port and reports a URL that reaches it', async () => {
    server = await serveHttp(() => new Response('ok'));
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(await (await fetch(`${server.url}/x`)).text()).toBe('ok');
  });

  it('reports a server bound to all interfaces at its loopback address', async () => {
    server = await serveHttp(() => new Response('ok'), { hostname: '0.0.0.0' });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect((await fetch(server.url)).status).toBe(200);
  });

  it('rejects a port outside 0..65535 before listening', () => {
    expect(() => serveHttp(() => new Response(''), { port: 70_000 })).toThrow(/port must be an integer 0\.\.65535/);
  });

  it('stops answering once closed, even with a keep-alive connection open', async () => {
    const running = await serveHttp(() => new Response('ok'));
    await fetch(running.url);
    await running.close();
    await expect(fetch(running.url)).rejects.toThrow();
  });
});
