import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Thrown when the emulator cannot be found or does not come up; the message says what to install or set. */
export class PubSubEmulatorError extends Error {
  override name = 'PubSubEmulatorError';
}

export interface PubSubEmulatorOptions {
  /** Loopback port to listen on; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Project id clients should use (the emulator accepts any). @default 'local' */
  readonly projectId?: string;
  /** Path of `cloud-pubsub-emulator-*-all.jar`. @default $PUBSUB_EMULATOR_JAR, else found under the Google Cloud SDK */
  readonly jarPath?: string;
  /** Java executable. @default $JAVA_HOME/bin/java if it exists, else `java` on PATH */
  readonly java?: string;
  /** How long to wait for the emulator to answer. @default 30000 */
  readonly startTimeoutMs?: number;
}

export interface PubSubEmulator {
  /** `127.0.0.1:<port>`, the value for PUBSUB_EMULATOR_HOST. */
  readonly host: string;
  readonly port: number;
  readonly projectId: string;
  /** Process id of the running java process (undefined once stopped). */
  readonly pid: number | undefined;
  /** Kills the java process (SIGTERM, then SIGKILL) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
  /** Stops and starts again on the same port. The emulator keeps state in memory: topics and subscriptions are gone. */
  restart(): Promise<void>;
}

const SDK_ROOTS = [
  '/usr/lib/google-cloud-sdk',
  '/usr/share/google-cloud-sdk',
  '/opt/google-cloud-sdk',
  path.join(os.homedir(), 'google-cloud-sdk'),
];

/** Finds the emulator jar: the explicit path, $PUBSUB_EMULATOR_JAR, then `<sdk>/platform/pubsub-emulator/lib/*-all.jar`. */
export function findEmulatorJar(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const given = explicit ?? env.PUBSUB_EMULATOR_JAR;
  if (given) {
    if (!existsSync(given))
      throw new PubSubEmulatorError(`Pub/Sub emulator jar not found at ${given} (PUBSUB_EMULATOR_JAR)`);
    return given;
  }
  const roots = [env.CLOUDSDK_ROOT_DIR, ...SDK_ROOTS].filter((r): r is string => Boolean(r));
  for (const root of roots) {
    const dir = path.join(root, 'platform', 'pubsub-emulator', 'lib');
    if (!existsSync(dir)) continue;
    const jar = readdirSync(dir)
      .filter((f) => /^cloud-pubsub-emulator-.*-all\.jar$/.test(f))
      .sort()
      .at(-1);
    if (jar) return path.join(dir, jar);
  }
  throw new PubSubEmulatorError(
    `Pub/Sub emulator jar not found under ${roots.join(', ')}. Install it with ` +
      '`gcloud components install pubsub-emulator` (or apt-get install google-cloud-cli-pubsub-emulator), ' +
      'or set PUBSUB_EMULATOR_JAR to cloud-pubsub-emulator-*-all.jar.',
  );
}

function findJava(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return explicit;
  const fromHome = env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : undefined;
  return fromHome && existsSync(fromHome) ? fromHome : 'java';
}

/** A free loopback port (bound, read, released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function answers(host: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(500) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

// Every java process this module started, killed synchronously if the parent exits without stopping them.
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/**
 * Starts the Pub/Sub emulator jar directly (`java -jar … --host=127.0.0.1 --port=<p>`; faster than the gcloud
 * wrapper, and stopping it kills java itself, so nothing is left behind) and resolves once it answers HTTP.
 *
 * @throws {PubSubEmulatorError} when java or the jar is missing, or the emulator does not answer in time.
 * @example
 *   const emulator = await startPubSubEmulator();
 *   process.env.PUBSUB_EMULATOR_HOST = emulator.host;
 */
export async function startPubSubEmulator(options: PubSubEmulatorOptions = {}): Promise<PubSubEmulator> {
  const jar = findEmulatorJar(options.jarPath);
  const java = findJava(options.java);
  const projectId = options.projectId ?? 'local';
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  let port = options.port ?? 0;
  let child: ChildProcess | undefined;
  installExitHook();

  const launch = async (fixedPort: boolean): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const chosen = fixedPort ? port : await freePort();
      try {
        child = await spawnAndWait(java, jar, chosen, timeoutMs);
        port = chosen;
        return;
      } catch (error) {
        // Another process may have taken the free port between our probe and java's bind: try a new one.
        if (fixedPort || attempt >= 2 || !(error instanceof PortInUseError)) throw error;
      }
    }
  };

  const stop = async (): Promise<void> => {
    const current = child;
    child = undefined;
    if (!current || current.exitCode !== null || current.signalCode !== null) {
      if (current) running.delete(current);
      return;
    }
    const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    current.kill('SIGTERM');
    const timer = setTimeout(() => current.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    running.delete(current);
  };

  await launch(port !== 0);
  return {
    get host() {
      return `127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    projectId,
    get pid() {
      return child?.pid;
    },
    stop,
    async restart() {
      await stop();
      await launch(true);
    },
  };
}

class PortInUseError extends PubSubEmulatorError {
  override name = 'PortInUseError';
}

async function spawnAndWait(java: string, jar: string, port: number, timeoutMs: number): Promise<ChildProcess> {
  const child = spawn(java, ['-jar', jar, '--host=127.0.0.1', `--port=${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let failure: Error | undefined;
  child.once('error', (error: NodeJS.ErrnoException) => {
    failure =
      error.code === 'ENOENT'
        ? new PubSubEmulatorError(
            `cannot start the Pub/Sub emulator: ${java} not found; install Java 17+ or set JAVA_HOME`,
          )
        : new PubSubEmulatorError(`cannot start the Pub/Sub emulator: ${error.code ?? error.name}`);
  });
  child.once('exit', (code, signal) => {
    running.delete(child);
    failure ??= /Address already in use|BindException/.test(output)
      ? new PortInUseError(`port ${port} is in use`)
      : new PubSubEmulatorError(
          `the Pub/Sub emulator exited during start-up (code ${code ?? signal}):\n${output.trim()}`,
        );
  });
  const host = `127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (!failure) {
    if ((await answers(host)) && !failure) {
      // Keep draining the pipes so the emulator never blocks on a full stdout.
      child.stdout?.off('data', keep).resume();
      child.stderr?.off('data', keep).resume();
      return child;
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new PubSubEmulatorError(
        `the Pub/Sub emulator did not answer on ${host} within ${timeoutMs} ms:\n${output.trim()}`,
      );
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw failure;
}
