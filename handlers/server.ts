import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Serves a Hono app over HTTP; port 0 picks a free one. Resolves once listening. */
export function listen(app: Pick<Hono, 'fetch'>, options: { port: number; hostname?: string }): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const hostname = options.hostname ?? '127.0.0.1';
    let server: ServerType;
    server = serve({ fetch: app.fetch, port: options.port, hostname }, (info: AddressInfo) => {
      resolve({
        url: `http://${hostname === '0.0.0.0' ? '127.0.0.1' : hostname}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
    server.once('error', reject);
  });
}
