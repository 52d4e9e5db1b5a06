// shared/ holds leaf helpers that both the services (handlers/, cli/) and the sandboxes may import; it imports no
// application layer itself (see eslint.config.js). This one is the single wrapper around @hono/node-server's serve().
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';

/** A fetch-style handler, e.g. `app.fetch` of a Hono app. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/** Defaults, repeated as `@default` in ServeOptions. */
const DEFAULT_HOSTNAME = '127.0.0.1';
const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface ServeOptions {
  /**
   * TCP port, an integer 0..65535; `0` asks the OS for a free one.
   * @default 0
   */
  readonly port?: number;
  /**
   * Address to bind. `0.0.0.0` (all interfaces) is what a Cloud Run container needs; the sandboxes and local
   * services stay on loopback.
   * @default '127.0.0.1'
   */
  readonly hostname?: string;
  /**
   * Most milliseconds a client may take to send the request headers; slower connections are closed (slowloris).
   * @default 10000
   */
  readonly headersTimeoutMs?: number;
  /**
   * Most milliseconds a client may take to send the whole request (headers and body, ≤ 1 MiB). Not the time to
   * answer: a full sync may run for minutes under Cloud Run's own request timeout.
   * @default 30000
   */
  readonly requestTimeoutMs?: number;
}

export interface RunningServer {
  /**
   * Origin without a trailing slash, e.g. `http://127.0.0.1:41234`. A server bound to all interfaces (`0.0.0.0`,
   * `::`) is reported at its loopback address, so the URL is always one this process can call.
   */
  readonly url: string;
  readonly port: number;
  /** Stops accepting connections, closes open keep-alive sockets and resolves once the server is closed. */
  close(): Promise<void>;
}

/**
 * Serves a fetch handler over HTTP with timeouts that fit Cloud Run (Node's defaults hold a slow client for a minute
 * or more, and check only every 30 s). Resolves once the socket is listening, so `url` is immediately usable.
 *
 * @throws Error when `port` is not an integer 0..65535 (a setup mistake, thrown before anything listens).
 * @example
 * const server = await serveHttp(app.fetch, { port: 0 });
 * await fetch(`${server.url}/health`);
 * await server.close();
 */
export function serveHttp(handler: FetchHandler, options: ServeOptions = {}): Promise<RunningServer> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`serveHttp: port must be an integer 0..65535 (0 = free port), got ${String(port)}`);
  }
  const hostname = options.hostname ?? DEFAULT_HOSTNAME;
  const headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const server: ServerType = serve(
      {
        fetch: (request) => handler(request),
        port,
        hostname,
        serverOptions: { headersTimeout, requestTimeout, connectionsCheckingInterval: Math.min(1_000, headersTimeout) },
      },
      (info: AddressInfo) => {
        resolve({
          url: `http://${urlHost(info)}:${info.port}`,
          port: info.port,
          close: () =>
            new Promise<void>((done) => {
              (server as { closeAllConnections?: () => void }).closeAllConnections?.();
              server.close(() => done());
            }),
        });
      },
    );
    server.once('error', reject);
  });
}

/** The host part of a URL that reaches the bound address from this machine. */
function urlHost(info: AddressInfo): string {
  if (info.address === '0.0.0.0') return '127.0.0.1';
  if (info.address === '::') return '[::1]';
  return info.family === 'IPv6' || info.address.includes(':') ? `[${info.address}]` : info.address;
}
