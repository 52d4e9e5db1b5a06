import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

/** A fetch-style handler, e.g. `app.fetch` of a Hono app. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

export interface ListenOnLoopbackOptions {
  /**
   * TCP port to listen on. `0` asks the OS for a free port.
   * @default 0
   */
  readonly port?: number;
  /**
   * Loopback address to bind. Sandboxes never bind a public interface.
   * @default '127.0.0.1'
   */
  readonly hostname?: '127.0.0.1' | 'localhost' | '::1';
}

export interface LoopbackServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting connections, closes idle keep-alive sockets and resolves when the server is closed. */
  close(): Promise<void>;
}

/**
 * Serves a fetch handler on a loopback address with @hono/node-server.
 * Resolves once the socket is listening, so `url` is immediately usable.
 *
 * @example
 * const server = await listenOnLoopback(app.fetch);
 * await fetch(`${server.url}/health`);
 * await server.close();
 */
export function listenOnLoopback(handler: FetchHandler, options: ListenOnLoopbackOptions = {}): Promise<LoopbackServer> {
  const hostname = options.hostname ?? '127.0.0.1';
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`listenOnLoopback: port must be an integer 0..65535 (0 = free port), got ${String(port)}`);
  }
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: (request) => handler(request), port, hostname }, (info: AddressInfo) => {
      const host = info.family === 'IPv6' || hostname === '::1' ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            if ('closeAllConnections' in server && typeof server.closeAllConnections === 'function') {
              server.closeAllConnections();
            }
          }),
      });
    });
    server.once('error', reject);
  });
}
