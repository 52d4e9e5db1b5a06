import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import path from 'node:path';
import type { Sql } from 'postgres';
import { freePort } from '../../cli/local/postgres.js';
import { startLocalCoda, type LocalCoda } from '../../cli/local/coda.js';
import type { StartCodaSandboxOptions } from '../../sandbox/coda/index.js';
import { DEFAULT_CLIENT, startDrChronoSandbox, type RunningDrChronoSandbox } from '../../sandbox/drchrono/index.js';
import { startGoogleOidcSandbox, type RunningGoogleOidcSandbox } from '../../sandbox/google-oidc/index.js';
import type { CodaMapping } from '../../sync/coda/mapping.js';
import { FileTokenStore } from '../../sync/drchrono/token-store.js';
import { compareCodaWithPostgres, type CodaComparison } from './coda-compare.js';

// The whole chain with the two services as real child processes (`platform serve …`), for the fault tests:
// DrChrono sandbox → drchrono-sync (child) → Postgres → outbox relay → HTTP event bus → coda-push (child) → Coda
// sandbox. The test process holds the sandboxes, so it can inject faults and read Coda's rows directly.

const root = path.resolve(import.meta.dirname, '../..');
const SCHEDULER_EMAIL = 'scheduler@chain-test.iam.gserviceaccount.com';
const DRCHRONO_AUDIENCE = 'http://drchrono-sync.chain-test';
/** Most characters of a child's output kept for failure messages. */
const OUTPUT_CAP = 200_000;

export { waitFor } from './wait.js';
import { waitFor } from './wait.js';

export type ServiceName = 'drchrono-sync' | 'coda-push';

/** One `platform serve <name>` child process. */
export interface ServiceProcess {
  readonly name: ServiceName;
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code, or the signal name when killed by one. */
  readonly exited: Promise<number | string>;
  /** Everything the child wrote to stdout and stderr (capped). */
  output(): string;
  /** Sends `signal` (default SIGKILL) and waits for the process to be gone. */
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Chains not closed yet; a chain's close() ends every child only when it is the last one. */
const openChains = new Set<object>();

/** Every child spawned through this module that has not exited yet; `killAllChildren()` ends them. */
const running = new Set<ChildProcess>();

function spawnPlatform(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, NODE_ENV: 'test', ...env },
  });
  running.add(child);
  let output = '';
  const collect = (d: Buffer) => {
    if (output.length < OUTPUT_CAP) output += d.toString();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve(signal ?? code ?? -1);
    }),
  );
  return { child, exited, output: () => output };
}

/**
 * Starts `platform serve <name>` on `port` and resolves once `GET /health` answers 200.
 * @throws Error with the child's output when it exits or is not healthy within `timeoutMs`
 */
export async function startService(
  name: ServiceName,
  env: NodeJS.ProcessEnv,
  port: number,
  timeoutMs = 30_000,
): Promise<ServiceProcess> {
  const { child, exited, output } = spawnPlatform(['serve', name], { ...env, PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  let gone: number | string | undefined;
  void exited.then((code) => (gone = code));
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  try {
    await waitFor(
      `${name} to answer GET /health`,
      async () => {
        if (gone !== undefined) throw new Error(`${name} exited (${gone}) before it was healthy:\n${output()}`);
        const res = await fetch(`${url}/health`).catch(() => undefined);
        return res?.status === 200;
      },
      { timeoutMs, detail: output },
    );
  } catch (error) {
    await kill();
    throw error;
  }
  return { name, url, port, child, exited, output, kill };
}

/** Runs a one-shot `platform …` command to completion. */
export async function runPlatform(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | string; output: string }> {
  const { exited, output } = spawnPlatform(args, env);
  const code = await exited;
  return { code, output: output() };
}

/** SIGKILLs every child this module started that is still running and waits for each to exit. */
export async function killAllChildren(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/**
 * What the push proxy does with a request:
 * - `hold`: keeps it open and never answers (the publish never completes);
 * - `pass`: forwards it to the target and answers with the target's status;
 * - `swallow`: forwards it, waits for the target's answer, calls `onSwallowed(status)` and never answers.
 */
export type PushProxyMode = 'hold' | 'pass' | 'swallow';

export interface PushProxy {
  /** The URL to use as PUSH_ENDPOINT. */
  readonly url: string;
  /** Applies to requests as they arrive (and to held ones on `release()`). */
  mode: PushProxyMode;
  /** Called with the target's status for every swallowed request. */
  onSwallowed?: (status: number) => void;
  /** Requests received, in every mode. */
  received(): number;
  /** Requests held open without an answer (held, or swallowed). */
  open(): number;
  /** Handles every held request again under the current mode (e.g. forwards them). */
  release(): void;
  /** Ends held connections and stops listening. */
  close(): Promise<void>;
}

interface Pending {
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  readonly res: ServerResponse;
}

/** A tiny HTTP proxy in front of coda-push's `/pubsub/push`, to stop the event bus at an exact moment. */
export async function startPushProxy(target: string): Promise<PushProxy> {
  let received = 0;
  const held = new Set<Pending>();
  const unanswered = new Set<ServerResponse>();
  const keepOpen = (res: ServerResponse) => {
    unanswered.add(res);
    res.on('close', () => unanswered.delete(res));
  };
  const forward = (request: Pending) =>
    new Promise<number>((resolve, reject) => {
      const out = httpRequest(
        target,
        { method: 'POST', headers: { ...request.headers, host: new URL(target).host } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      out.on('error', reject);
      out.end(request.body);
    });
  const handle = (request: Pending) => {
    const mode = proxy.mode;
    if (mode === 'hold') {
      held.add(request);
      keepOpen(request.res);
      return;
    }
    forward(request).then(
      (status) => {
        if (mode === 'swallow') {
          keepOpen(request.res);
          proxy.onSwallowed?.(status);
          return;
        }
        if (!request.res.destroyed) request.res.writeHead(status).end();
      },
      () => {
        if (!request.res.destroyed) request.res.writeHead(502).end();
      },
    );
  };
  const proxy: PushProxy = {
    url: '',
    mode: 'pass',
    received: () => received,
    open: () => unanswered.size,
    release() {
      const requests = [...held];
      held.clear();
      for (const request of requests) {
        unanswered.delete(request.res);
        if (!request.res.destroyed) handle(request);
      }
    },
    close: async () => {
      for (const res of unanswered) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    received++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle({ headers: req.headers, body: Buffer.concat(chunks), res }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  Object.assign(proxy, { url: `http://127.0.0.1:${port}/pubsub/push` });
  return proxy;
}

export interface ChainOptions {
  /** Directory for the token file and the Coda map; the caller removes it. */
  readonly dir: string;
  /** Superuser (or service) URL both services use. */
  readonly databaseUrl: string;
  readonly patients: number;
  /** @default 1 */
  readonly seed?: number;
  /** Passed to the Coda sandbox (apply delay, rate limits). */
  readonly coda?: Partial<StartCodaSandboxOptions>;
  /** Overrides for both services' environment (e.g. LOG_LEVEL). */
  readonly env?: NodeJS.ProcessEnv;
}

/** The sandboxes, environments and fixed service ports of one chain; the services themselves are started by the test. */
export interface Chain {
  readonly drchrono: RunningDrChronoSandbox;
  readonly coda: LocalCoda;
  readonly oidc: RunningGoogleOidcSandbox;
  readonly mapping: CodaMapping;
  /** Fixed ports, so a restarted service comes back on the same address. */
  readonly ports: Record<ServiceName, number>;
  /** coda-push's push endpoint (its fixed port). */
  readonly pushEndpoint: string;
  /** drchrono-sync's environment posting change events to `pushEndpoint` (default coda-push itself). */
  drchronoSyncEnv(pushEndpoint?: string): NodeJS.ProcessEnv;
  readonly codaPushEnv: NodeJS.ProcessEnv;
  startDrChronoSync(pushEndpoint?: string): Promise<ServiceProcess>;
  startCodaPush(): Promise<ServiceProcess>;
  /** POSTs `path` to drchrono-sync with a Cloud-Scheduler OIDC token. */
  schedulerCall(service: ServiceProcess, path: string): Promise<Response>;
  /** Kills every child still running and closes the sandboxes. */
  close(): Promise<void>;
}

/** Starts the DrChrono, Coda and Google OIDC sandboxes and prepares both services' environments. */
export async function startChain(options: ChainOptions): Promise<Chain> {
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const drchrono = await startDrChronoSandbox({
      patientCount: options.patients,
      seed: options.seed ?? 1,
      hourlyCallBudget: 100_000,
    });
    closers.push(() => drchrono.close());
    const oidc = await startGoogleOidcSandbox();
    closers.push(() => oidc.close());
    const coda = await startLocalCoda(options.dir, options.coda);
    closers.push(() => coda.sandbox.close());
    const mapping = JSON.parse(await readFile(coda.env.CODA_MAPPING!, 'utf8')) as CodaMapping;
    const tokenFile = path.join(options.dir, 'drchrono-token.json');
    const pair = drchrono.control.issueTokenPair();
    await new FileTokenStore(tokenFile).save({
      accessToken: pair.access_token,
      refreshToken: pair.refresh_token,
      expiresAt: new Date(Date.now() + pair.expires_in * 1000),
    });
    const ports = { 'drchrono-sync': await freePort(), 'coda-push': await freePort() };
    const pushEndpoint = `http://127.0.0.1:${ports['coda-push']}/pubsub/push`;
    const common = { DATABASE_URL: options.databaseUrl, LOG_LEVEL: 'warn', DB_POOL_MAX: '5', ...options.env };
    const drchronoSyncEnv = (endpoint = pushEndpoint): NodeJS.ProcessEnv => ({
      ...common,
      DRCHRONO_BASE_URL: drchrono.url,
      DRCHRONO_CLIENT_ID: DEFAULT_CLIENT.clientId,
      DRCHRONO_CLIENT_SECRET: DEFAULT_CLIENT.clientSecret,
      DRCHRONO_TOKEN_STORE: `file:${tokenFile}`,
      DRCHRONO_HOURLY_CALL_LIMIT: '50000',
      DRCHRONO_WEBHOOK_SECRET: randomBytes(16).toString('hex'),
      DEEPCURA_KEY: randomBytes(32).toString('base64'),
      AUTH_OIDC_JWKS_URL: oidc.jwksUrl,
      AUTH_OIDC_AUDIENCE: DRCHRONO_AUDIENCE,
      AUTH_OIDC_ALLOWED_EMAILS: SCHEDULER_EMAIL,
      EVENT_BUS: 'http',
      PUSH_ENDPOINT: endpoint,
    });
    const codaPushEnv: NodeJS.ProcessEnv = {
      ...common,
      ...coda.env,
      PUSH_AUTH: 'none',
      CODA_MUTATION_TIMEOUT_MS: '20000',
    };
    const services = new Set<ServiceProcess>();
    const own = async (started: Promise<ServiceProcess>) => {
      const service = await started;
      services.add(service);
      return service;
    };
    const chain: Chain = {
      drchrono,
      coda,
      oidc,
      mapping,
      ports,
      pushEndpoint,
      drchronoSyncEnv,
      codaPushEnv,
      startDrChronoSync: (endpoint) =>
        own(startService('drchrono-sync', drchronoSyncEnv(endpoint), ports['drchrono-sync'])),
      startCodaPush: () => own(startService('coda-push', codaPushEnv, ports['coda-push'])),
      async schedulerCall(service, callPath) {
        const token = await oidc.control.mintIdToken({ audience: DRCHRONO_AUDIENCE, email: SCHEDULER_EMAIL });
        return fetch(`${service.url}${callPath}`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
      },
      async close() {
        // Only this chain's services when another chain is still open in this file (concurrent tests); otherwise
        // every child, including one-shot commands a test started itself.
        openChains.delete(chain);
        if (openChains.size === 0) await killAllChildren();
        else await Promise.all([...services].map((service) => service.kill()));
        for (const close of closers.reverse()) await close().catch(() => undefined);
      },
    };
    openChains.add(chain);
    return chain;
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

/** Outbox rows in total and still unpublished. */
export async function outboxCounts(sql: Sql): Promise<{ total: number; pending: number }> {
  const [row] = await sql<{ total: number; pending: number }[]>`
    SELECT count(*)::int AS total, count(*) FILTER (WHERE published_at IS NULL)::int AS pending FROM outbox`;
  return row!;
}

export interface ChainComparison {
  /** One comparison per mapped table that has rows in Postgres. */
  readonly tables: CodaComparison[];
  readonly missing: number;
  readonly duplicates: number;
  readonly mismatched: number;
  readonly extra: number;
  /** Postgres rows compared, over all tables. */
  readonly rows: number;
}

/** Every Coda row compared with Postgres field by field, for every mapped table with rows in Postgres. */
export async function compareChain(sql: Sql, chain: Pick<Chain, 'mapping' | 'coda'>): Promise<ChainComparison> {
  const tables: CodaComparison[] = [];
  for (const table of Object.keys(chain.mapping.tables)) {
    const [row] = await sql.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${table}`);
    if (row!.n === 0) continue;
    tables.push(
      await compareCodaWithPostgres(sql, chain.mapping, (tableId) => chain.coda.sandbox.control.rows(tableId), table),
    );
  }
  const sum = (pick: (c: CodaComparison) => number) => tables.reduce((n, c) => n + pick(c), 0);
  return {
    tables,
    missing: sum((c) => c.missing.length),
    duplicates: sum((c) => c.duplicates.length),
    mismatched: sum((c) => c.mismatched.length),
    extra: sum((c) => c.extra.length),
    rows: sum((c) => c.postgresRows),
  };
}

/** A one-line-per-table summary for assertion messages (counts and a few keys, no row values). */
export function describeComparison(result: ChainComparison): string {
  return result.tables
    .map(
      (c) =>
        `${c.table}: pg ${c.postgresRows}, coda ${c.codaRows}, missing ${c.missing.length}, dup ${c.duplicates.length}, mismatched ${c.mismatched.length} [${c.mismatched.slice(0, 3).join(',')}], extra ${c.extra.length}`,
    )
    .join('\n');
}
