import { serveHttp, type FetchHandler } from '../shared/serve.js';

/**
 * A sandbox listening on loopback: the one shape every `startXxxSandbox` returns.
 * @typeParam C the sandbox's control surface (seed data, inject faults, read logs).
 */
export interface RunningSandbox<C> {
  /**
   * Base URL the client under test is configured with, without a trailing slash. It includes the API prefix where
   * the real vendor's base URL has one: `/apis/v1` for Coda, `/v1` for Secret Manager; the DrChrono and Google OIDC
   * sandboxes answer at the origin (`http://127.0.0.1:<port>`).
   */
  readonly url: string;
  readonly port: number;
  readonly control: C;
  /** Stops listening, closes open connections and releases the sandbox's own timers. */
  close(): Promise<void>;
}

export interface StartSandboxOptions {
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
  /**
   * API prefix appended to the origin to make `url`, starting with `/` (e.g. `/apis/v1`).
   * @default '' (the origin)
   */
  readonly pathPrefix?: string;
  /** Called before the server closes, e.g. to cancel the sandbox's pending timers. @default none */
  readonly onClose?: () => void;
}

/**
 * Serves a sandbox app on loopback (through shared/serve.ts, the serve() wrapper the services use too) and resolves
 * once it is listening, so `url` is immediately usable.
 *
 * @throws Error when `pathPrefix` is neither empty nor `/`-led without a trailing `/`, or `port` is out of range.
 * @example
 * const { app, control } = createDrChronoSandbox();
 * const drchrono = await startSandbox(app, control);
 * await fetch(`${drchrono.url}/api/patients`);
 * await drchrono.close();
 */
export async function startSandbox<C>(
  app: { fetch: FetchHandler },
  control: C,
  options: StartSandboxOptions = {},
): Promise<RunningSandbox<C>> {
  const pathPrefix = options.pathPrefix ?? '';
  if (pathPrefix !== '' && (!pathPrefix.startsWith('/') || pathPrefix.endsWith('/'))) {
    throw new Error(
      `startSandbox: pathPrefix must start with "/" and not end with one (e.g. "/apis/v1"), got ${JSON.stringify(pathPrefix)}`,
    );
  }
  const server = await serveHttp(app.fetch, { port: options.port ?? 0, hostname: options.hostname ?? '127.0.0.1' });
  return {
    url: `${server.url}${pathPrefix}`,
    port: server.port,
    control,
    close: () => {
      options.onClose?.();
      return server.close();
    },
  };
}
