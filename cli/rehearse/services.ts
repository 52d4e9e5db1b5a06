import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { DriftError, type CloudRunWorkload, type RehearsalStack } from './stack.js';
import type { SecretStore } from './secrets.js';

// The Cloud Run workloads as child processes: exactly the synthesized environment (references resolved, secrets
// read from the Secret Manager stand-in under the synthesized ids), what Cloud Run itself sets (K_SERVICE, PORT), the
// image's own ENV, and a closed list of redirections to the stand-ins. Each environment is checked against the
// service's own schema first; a variable the service does not read is drift too.

/** A variable pointed at a stand-in: `replace` changes a synthesized value, `add` sets one the stack leaves to a default. */
export interface Redirection {
  readonly name: string;
  readonly value: string;
  readonly kind: 'replace' | 'add';
  readonly why: string;
}

/** Variables Cloud Run sets itself on a service (not in the synthesized env). */
const CLOUD_RUN_SET = ['K_SERVICE', 'PORT'];

/** The runtime stage's `ENV` of the Dockerfile, plus what the base image sets (PATH, HOME). */
export function imageEnv(root: string, home: string): Record<string, string> {
  const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  const block = /^ENV\s+((?:.*\\\n)*.*)$/m.exec(runtime)?.[1] ?? '';
  for (const m of block.replace(/\\\n/g, ' ').matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[m[1]!] = m[2]!;
  return { PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`, HOME: home, ...env };
}

/** The image's ENTRYPOINT as an argv (`["/bin/sh", "-c", "…"]`). */
export function imageEntrypoint(root: string): string[] {
  const line = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(readFileSync(path.join(root, 'Dockerfile'), 'utf8'))?.[1];
  if (!line) throw new Error('Dockerfile has no exec-form ENTRYPOINT');
  return JSON.parse(line) as string[];
}

const keysOf = (schema: z.ZodType): string[] =>
  Object.keys((schema as unknown as { shape?: Record<string, unknown> }).shape ?? {});

export interface WorkloadEnvOptions {
  readonly stack: RehearsalStack;
  readonly projectId: string;
  readonly schema: z.ZodType;
  readonly secrets: SecretStore;
  readonly redirections: readonly Redirection[];
  /** Local Postgres port: DATABASE_URL's host:port is rewritten to 127.0.0.1:<port> and sslmode=require to disable. */
  readonly pgPort: number;
  /** Cloud Run's own variables for a service (K_SERVICE, PORT); none for a job. */
  readonly cloudRun?: Record<string, string>;
}

export interface WorkloadEnv {
  readonly env: Record<string, string>;
  /** The redirections applied (names), DATABASE_URL included. */
  readonly redirected: readonly string[];
}

/**
 * The environment of one workload.
 * @throws {DriftError} naming the workload and the variable: a variable the schema does not read, a secret that does
 * not exist, or a value the schema rejects
 */
export async function workloadEnv(workload: CloudRunWorkload, options: WorkloadEnvOptions): Promise<WorkloadEnv> {
  const known = new Set([...keysOf(options.schema), 'SERVICE', ...CLOUD_RUN_SET]);
  const env: Record<string, string> = {};
  for (const entry of workload.env) {
    if (!known.has(entry.name)) {
      throw new DriftError(
        workload.name,
        `env ${entry.name} is not read by the service (schema: ${keysOf(options.schema).join(', ')})`,
      );
    }
    if (entry.value_source) {
      const id = options.stack.resolve(entry.value_source.secret_key_ref.secret, `${workload.name} env ${entry.name}`);
      const value = await options.secrets.access(
        `projects/${options.projectId}/secrets/${id}`,
        entry.value_source.secret_key_ref.version,
      );
      if (value === null)
        throw new DriftError(
          workload.name,
          `secret ${id} (${entry.name}) does not exist (the stack creates: ${options.secrets.created.map((n) => n.split('/').pop()).join(', ')})`,
        );
      env[entry.name] = value;
    } else {
      env[entry.name] = options.stack.resolve(entry.value ?? '', `${workload.name} env ${entry.name}`);
    }
  }
  const redirected: string[] = [];
  if (env.DATABASE_URL) {
    const url = new URL(env.DATABASE_URL);
    url.hostname = '127.0.0.1';
    url.port = String(options.pgPort);
    if (url.searchParams.get('sslmode') === 'require') url.searchParams.set('sslmode', 'disable');
    env.DATABASE_URL = url.toString();
    redirected.push('DATABASE_URL');
  }
  for (const r of options.redirections) {
    if (!known.has(r.name) || (r.kind === 'replace' && env[r.name] === undefined)) continue;
    env[r.name] = r.value;
    redirected.push(r.name);
  }
  Object.assign(env, options.cloudRun);
  const parsed = options.schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DriftError(workload.name, `env ${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  }
  return { env, redirected };
}

export interface RunningChild {
  readonly child: ChildProcess;
  readonly exited: Promise<number | string>;
  output(): string;
  kill(): Promise<void>;
}

const OUTPUT_CAP = 200_000;

/** Spawns `argv` in the image's WORKDIR with exactly `env`, collecting its output. */
export function spawnInImage(argv: readonly string[], cwd: string, env: Record<string, string>): RunningChild {
  const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (d: Buffer) => {
    if (output.length < OUTPUT_CAP) output += d.toString();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | string>((resolve) => {
    child.on('error', (error) => resolve(error.message));
    child.on('exit', (code, signal) => resolve(signal ?? code ?? -1));
  });
  return {
    child,
    exited,
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The last `lines` lines of a child's output, for a failure message. */
export const tail = (text: string, lines = 15) => text.trimEnd().split('\n').slice(-lines).join('\n');

/** Waits for `GET /health` 200; throws DriftError naming the service with its output when it exits or times out. */
export async function waitHealthy(name: string, url: string, child: RunningChild, timeoutMs = 45_000): Promise<void> {
  let gone: number | string | undefined;
  void child.exited.then((code) => (gone = code));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone !== undefined)
      throw new DriftError(name, `exited (${gone}) before GET /health answered 200:\n${tail(child.output())}`);
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
    await res?.arrayBuffer().catch(() => undefined);
    if (res?.status === 200) return;
    if (Date.now() > deadline)
      throw new DriftError(
        name,
        `GET /health did not answer 200 within ${timeoutMs / 1000} s (last: ${res?.status ?? 'no answer'}):\n${tail(child.output())}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}
