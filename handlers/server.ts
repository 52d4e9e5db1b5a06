import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** @default '127.0.0.1' */
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

/**
 * Serves a Hono app over HTTP with timeouts that fit Cloud Run (Node's defaults hold a slow client for a minute or
 * more, and check only every 30 s). Resolves once listening.
 */
export function listen(app: Pick<Hono, 'fetch'>, options: ListenOptions): Promise<RunningServer> {
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const hostname = options.hostname ?? '127.0.0.1';
    const server: ServerType = serve(
      {
        fetch: app.fetch, port: options.port, hostname,
        serverOptions: { headersTimeout, requestTimeout, connectionsCheckingInterval: Math.min(1_000, headersTimeout) },
      },
      (info: AddressInfo) => {
        resolve({
          url: `http://${hostname === '0.0.0.0' ? '127.0.0.1' : hostname}:${info.port}`,
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
