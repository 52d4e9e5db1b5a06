import type { Hono } from 'hono';
import { serveHttp, type RunningServer, type ServeOptions } from '../shared/serve.js';

export type { RunningServer } from '../shared/serve.js';

/** Where and how a service listens; see shared/serve.ts for the defaults (loopback, 10 s headers, 30 s request). */
export interface ListenOptions extends ServeOptions {
  /** TCP port; 0 picks a free one. */
  readonly port: number;
}

/**
 * Serves a Hono app over HTTP with timeouts that fit Cloud Run, through the one serve() wrapper the sandboxes use
 * too (shared/serve.ts). Resolves once listening.
 */
export function listen(app: Pick<Hono, 'fetch'>, options: ListenOptions): Promise<RunningServer> {
  return serveHttp(app.fetch, options);
}
