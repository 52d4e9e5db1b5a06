import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import {
  ANONYMIZE_JOB_NAME,
  anonymizeEnvSchema,
  MIGRATE_JOB_NAME,
  migrateEnvSchema,
  serviceEnvSchemas,
  SERVICE_NAMES,
  type ServiceName,
} from '../../contract/index.js';
import { startDrChronoSandbox } from '../../sandbox/drchrono/index.js';

/** Jobs other than the migration job, by the `platform` command they run, with the env schema that command reads. */
const jobEnvSchemas = { anonymize: anonymizeEnvSchema } as const;
import { startGoogleOidcSandbox } from '../../sandbox/google-oidc/index.js';
import { synthesizeAll, type TerraformJson } from '../../stacks/synth.js';
import { startLocalCoda } from '../local/coda.js';
import { freePort } from '../local/postgres.js';
import { startPubSubEmulator } from '../pubsub-emulator.js';
import { buildRuntime } from './build.js';
import {
  callSchedulerJob,
  checkSubscriptionNames,
  localOrigin,
  runDlqRunbook,
  sendWebhook,
  waitForCodaRow,
} from './checks.js';
import { startRehearsalDatabase } from './database.js';
import { startMetadataServer, type RunningMetadataServer } from './metadata-server.js';
import { createTopologyFromStack, startPushPump } from './pubsub-from-json.js';
import { seedSecretManager, testSecretValues } from './secrets.js';
import {
  imageEntrypoint,
  imageEnv,
  spawnInImage,
  tail,
  waitHealthy,
  workloadEnv,
  type Redirection,
  type RunningChild,
} from './services.js';
import { DriftError, readStack, REHEARSAL_APPLY_TIME_VALUES, type CloudRunWorkload } from './stack.js';

// `platform rehearse <stack>`: the deploy, rehearsed on this machine against stand-ins (README "Deploy rehearsal").
// Steps run in order and print one line each; the first failure stops everything and names what drifted.

export { DriftError } from './stack.js';

export interface RehearseOptions {
  /** Stack name in the synthesized app: `staging` | `prod`. */
  readonly stackName: string;
  /** The synthesized stack to rehearse. @default synthesized in-process (with the policy rule pack) */
  readonly stack?: TerraformJson;
  /** The checkout (Dockerfile, package-lock, runbooks). @default the repository this module lives in */
  readonly root?: string;
  /** Receives each output line (without newline). */
  readonly print: (line: string) => void;
  /** Synthetic patients in the DrChrono sandbox. @default 25 */
  readonly patients?: number;
}

export interface RehearsalStep {
  readonly name: string;
  readonly ms: number;
}

export interface RehearsalResult {
  readonly ok: boolean;
  readonly steps: readonly RehearsalStep[];
  /** The failed step and what drifted (resource and variable). */
  readonly failure?: { readonly step: string; readonly message: string };
  readonly totalMs: number;
}

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Rehearses the deploy of one stack; never throws for drift (the result says what failed). */
export async function rehearse(options: RehearseOptions): Promise<RehearsalResult> {
  const root = options.root ?? ROOT;
  const print = options.print;
  const started = performance.now();
  const steps: RehearsalStep[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  let current = 'synth';

  /** Runs one step; its `detail` goes on the ✓ line, extra lines are indented under it. */
  async function step<T>(
    name: string,
    run: () => Promise<{ value: T; detail?: string; lines?: string[]; ms?: number }>,
  ): Promise<T> {
    current = name;
    const t = performance.now();
    const { value, detail, lines, ms: startedBefore = 0 } = await run();
    const ms = performance.now() - t + startedBefore;
    steps.push({ name, ms });
    print(`✓ ${name}${detail ? `: ${detail}` : ''} (${seconds(ms)})`);
    for (const line of lines ?? []) print(`    ${line}`);
    return value;
  }

  const scratch = await mkdtemp(path.join(os.tmpdir(), 'platform-rehearse-'));
  closers.push(() => rm(scratch, { recursive: true, force: true }));
  try {
    // ── the stack ───────────────────────────────────────────────────────────────────────────────────────────
    let allStacks: Record<string, TerraformJson> = {};
    const json = await step(`synth ${options.stackName}`, async () => {
      if (options.stack) return { value: options.stack, detail: 'given JSON' };
      const result = synthesizeAll();
      if (result.errors.length > 0)
        throw new DriftError(
          `stack ${options.stackName}`,
          `policy rule pack: ${result.errors.map((e) => `${e.ruleId} ${e.path}: ${e.message}`).join('; ')}`,
        );
      allStacks = result.stacks;
      const found = result.stacks[options.stackName];
      if (!found)
        throw new DriftError(
          `stack ${options.stackName}`,
          `no such stack (synthesized: ${Object.keys(result.stacks).join(', ')})`,
        );
      return { value: found, detail: 'cdk.tf.json in-process, policy rule pack clean' };
    });
    const stack = readStack(json);
    // The staging side of the anonymize path (docs/runbooks/anonymize-staging.md): prod's job writes to this stack's
    // database, over a PSC endpoint this instance must accept from prod's project. A rename on either side breaks
    // the load without any error until someone runs it; the rehearsal catches it here.
    const anonymizer = Object.values(allStacks)
      .filter((other) => other !== json)
      .flatMap((other) => readStack(other).jobs.filter((j) => j.name === ANONYMIZE_JOB_NAME));
    if (anonymizer.length > 0)
      await step('anonymize target', async () => {
        const lines: string[] = [];
        for (const job of anonymizer) {
          const target = job.env.find((e) => e.name === 'ANONYMIZE_TARGET_URL')?.value;
          const database = target === undefined ? undefined : /:\d+\/([^/?]+)(\?|$)/.exec(target)?.[1];
          const ours = Object.values(json.resource?.['google_sql_database'] ?? {}).map((d) =>
            String((d as { name?: unknown }).name),
          );
          // Unset until staging exists and its PSC facts are declared (one-time step 1): the job then refuses to start.
          if (target !== undefined && (!database || !ours.includes(database)))
            throw new DriftError(
              job.name,
              `ANONYMIZE_TARGET_URL names database ${String(database)}; this stack has ${ours.join(', ')}`,
            );
          const consumers = Object.values(json.resource?.['google_sql_database_instance'] ?? {}).flatMap(
            (i) =>
              (i as { settings?: { ip_configuration?: { psc_config?: { allowed_consumer_projects?: string[] }[] } } })
                .settings?.ip_configuration?.psc_config?.[0]?.allowed_consumer_projects ?? [],
          );
          if (!consumers.includes(job.project))
            throw new DriftError(job.name, `this stack's Cloud SQL instance does not accept PSC from ${job.project}`);
          lines.push(
            target === undefined
              ? `${job.project}/${job.name}: no target yet (staging's PSC facts not declared: runbook one-time step 1); this instance accepts PSC from ${job.project}`
              : `${job.project}/${job.name} → database ${database} over PSC (allowed consumer)`,
          );
        }
        return { value: undefined, detail: `${anonymizer.length} anonymize job(s) elsewhere may write here`, lines };
      });
    const services = Object.fromEntries(stack.services.map((s) => [s.name, s])) as Record<string, CloudRunWorkload>;
    for (const name of SERVICE_NAMES)
      if (!services[name]) throw new DriftError(`service ${name}`, 'the stack does not deploy it');
    const migrateJob = stack.jobs.find((j) => j.name === MIGRATE_JOB_NAME);
    if (!migrateJob?.command) throw new DriftError('google_cloud_run_v2_job', 'the stack has no migration job');
    const projectId = services['drchrono-sync']!.project;

    // ── stand-ins ───────────────────────────────────────────────────────────────────────────────────────────
    const ports = { pg: await freePort(), 'drchrono-sync': await freePort(), 'coda-push': await freePort() };
    const origins: Record<string, string> = {
      'drchrono-sync': `http://127.0.0.1:${ports['drchrono-sync']}`,
      'coda-push': `http://127.0.0.1:${ports['coda-push']}`,
    };
    const standIns = await step('stand-ins', async () => {
      const drchrono = await startDrChronoSandbox({
        patientCount: options.patients ?? 25,
        seed: 1,
        hourlyCallBudget: 100_000,
      });
      closers.push(() => drchrono.close());
      const oidc = await startGoogleOidcSandbox();
      closers.push(() => oidc.close());
      const codaDocId = stack.resolve(
        services['coda-push']!.env.find((e) => e.name === 'CODA_DOC_ID')?.value ?? 'rehearsal-doc',
        'coda-push env CODA_DOC_ID',
      );
      const coda = await startLocalCoda(path.join(scratch, 'coda'), { docId: codaDocId });
      closers.push(() => coda.sandbox.close());
      const metadata = new Map<string, RunningMetadataServer>();
      for (const workload of [...stack.services, ...stack.jobs]) {
        if (metadata.has(workload.serviceAccountEmail)) continue;
        const server = await startMetadataServer({
          email: workload.serviceAccountEmail,
          projectId: workload.project,
          projectNumber: REHEARSAL_APPLY_TIME_VALUES.projectNumber!,
        });
        closers.push(() => server.close());
        metadata.set(workload.serviceAccountEmail, server);
      }
      return {
        value: { drchrono, oidc, coda, metadata },
        detail: `DrChrono sandbox, Coda sandbox (doc ${codaDocId}), Google OIDC sandbox, ${metadata.size} metadata-server stand-ins (one per identity)`,
      };
    });
    const { drchrono, oidc, coda, metadata } = standIns;
    const tokenOf = (email: string) => metadata.get(email)!.accessToken;

    const secrets = await step('secrets', async () => {
      const mappingJson = await readFile(coda.env.CODA_MAPPING!, 'utf8');
      const values = testSecretValues({
        drchronoTokenPair: drchrono.control.issueTokenPair(),
        codaToken: coda.env.CODA_API_TOKEN!,
        codaMappingJson: mappingJson,
      });
      // Secret Manager is read by drchrono-sync's own identity (the token store); the sandbox admits its token.
      const store = await seedSecretManager(stack, values, tokenOf(services['drchrono-sync']!.serviceAccountEmail));
      closers.push(() => store.close());
      return {
        value: store,
        detail: `Secret Manager sandbox holds ${store.created.length} secrets under the synthesized ids (${store.created.map((n) => n.split('/').pop()).join(', ')})`,
      };
    });

    // ── environments, checked before anything starts ──────────────────────────────────────────────────────
    const emulatorPort = await freePort();
    const emulatorHost = `127.0.0.1:${emulatorPort}`;
    const redirectionsFor = (workload: CloudRunWorkload): Redirection[] => [
      {
        name: 'GCE_METADATA_HOST',
        value: metadata.get(workload.serviceAccountEmail)!.host,
        kind: 'add',
        why: `metadata-server stand-in for ${workload.serviceAccountEmail} (google-auth-library: Cloud SQL IAM login, Secret Manager)`,
      },
      { name: 'PUBSUB_EMULATOR_HOST', value: emulatorHost, kind: 'add', why: 'Pub/Sub emulator' },
      {
        name: 'SECRET_MANAGER_BASE_URL',
        value: secrets.sandbox.url,
        kind: 'add',
        why: 'Secret Manager sandbox (DrChrono token store)',
      },
      { name: 'DRCHRONO_BASE_URL', value: drchrono.url, kind: 'replace', why: 'DrChrono sandbox' },
      { name: 'CODA_BASE_URL', value: coda.sandbox.url, kind: 'replace', why: 'Coda sandbox' },
      {
        name: 'OTEL_TRACES_EXPORTER',
        value: 'none',
        kind: 'replace',
        why: 'no Cloud Trace stand-in: a rehearsal exports no spans (the stack sets gcp)',
      },
      {
        name: 'AUTH_OIDC_JWKS_URL',
        value: oidc.jwksUrl,
        kind: 'add',
        why: "Google OIDC sandbox's JWKS (the default is Google's)",
      },
    ];
    const home = path.join(scratch, 'home');
    const baseEnv = imageEnv(root, home);
    const envs = await step('environments', async () => {
      const result: Record<string, { env: Record<string, string>; redirected: readonly string[] }> = {};
      for (const name of SERVICE_NAMES) {
        const workload = services[name]!;
        const { env, redirected } = await workloadEnv(workload, {
          stack,
          projectId: workload.project,
          schema: serviceEnvSchemas[name],
          secrets,
          pgPort: ports.pg,
          redirections: redirectionsFor(workload),
          cloudRun: { K_SERVICE: name, PORT: String(ports[name]) },
        });
        // GCE_METADATA_HOST is read by google-auth-library, not by the service's schema: added outside it.
        result[name] = {
          env: { ...env, GCE_METADATA_HOST: metadata.get(workload.serviceAccountEmail)!.host },
          redirected: [...redirected, 'GCE_METADATA_HOST'],
        };
      }
      const job = await workloadEnv(migrateJob, {
        stack,
        projectId: migrateJob.project,
        schema: migrateEnvSchema,
        secrets,
        pgPort: ports.pg,
        redirections: [],
      });
      result[migrateJob.name] = {
        env: { ...job.env, GCE_METADATA_HOST: metadata.get(migrateJob.serviceAccountEmail)!.host },
        redirected: [...job.redirected, 'GCE_METADATA_HOST'],
      };
      const lines = Object.entries(result).map(
        ([name, { env, redirected }]) =>
          `${name}: ${Object.keys(env).length} variables, stand-in redirections: ${redirected.join(', ')}`,
      );
      // Every other job must be one the CLI runs, with an env its command's schema accepts and every secret it
      // mounts created by the stack (prod's anonymize job: its key secret). It is not run here: it needs a second
      // database (docs/runbooks/anonymize-staging.md); its own test runs it between two real databases.
      for (const other of stack.jobs.filter((j) => j.name !== migrateJob.name)) {
        const command = other.command?.find((part) => Object.hasOwn(jobEnvSchemas, part));
        if (!command)
          throw new DriftError(
            other.name,
            `runs ${JSON.stringify(other.command)}, not a platform command with a job schema`,
          );
        const checked = await workloadEnv(other, {
          stack,
          projectId: other.project,
          schema: jobEnvSchemas[command as keyof typeof jobEnvSchemas],
          secrets,
          pgPort: ports.pg,
          redirections: [],
        });
        lines.push(
          `${other.name}: \`platform ${command}\` env accepted by its schema (${Object.keys(checked.env).length} variables, secrets resolved); not run (needs a second database)`,
        );
      }
      lines.push(
        'redirections (the closed list): DATABASE_URL host:port → 127.0.0.1 local PostgreSQL, sslmode=require → disable (no TLS locally); ' +
          'GCE_METADATA_HOST → metadata stand-in per identity; PUBSUB_EMULATOR_HOST → emulator; SECRET_MANAGER_BASE_URL → Secret Manager sandbox; ' +
          'DRCHRONO_BASE_URL → DrChrono sandbox; CODA_BASE_URL → Coda sandbox; OTEL_TRACES_EXPORTER gcp → none (no Cloud Trace stand-in); ' +
          'AUTH_OIDC_JWKS_URL → OIDC sandbox JWKS',
        `also set, as Cloud Run and the image do: K_SERVICE, PORT (local port), ${Object.keys(baseEnv)
          .filter((k) => k !== 'PORT')
          .join(', ')}`,
      );
      return {
        value: result,
        detail:
          'synthesized env of both services and every job accepted by their schemas, every secret reference resolved',
        lines,
      };
    });

    // ── the image, the database, the bus (independent; started together) ─────────────────────────────────
    const timed = <T>(p: Promise<T>) => {
      const t = performance.now();
      return p.then((value) => ({ value, ms: performance.now() - t }));
    };
    const buildP = timed(buildRuntime(root));
    const emulatorStarted = timed(
      startPubSubEmulator({ port: emulatorPort, projectId }).then((e) => (closers.push(() => e.stop()), e)),
    );
    const dbP = startRehearsalDatabase(
      stack,
      scratch,
      ports.pg,
      new Map([...metadata].map(([email, m]) => [email, m.accessToken])),
      migrateJob.serviceAccountEmail,
    );
    const dbStarted = timed(dbP.then((d) => (closers.push(() => d.stop()), d)));
    const [buildR, emulatorR, dbR] = await Promise.allSettled([buildP, emulatorStarted, dbStarted]);
    const build = await step('build', async () => {
      if (buildR.status === 'rejected') throw buildR.reason;
      const b = buildR.value.value;
      return {
        value: b,
        ms: buildR.value.ms,
        detail: `${b.cached ? '(cached) ' : ''}tsc → dist/, drizzle/ → dist/drizzle, npm ci --omit=dev + patch-package: ${b.packages} packages, dev dependencies absent (${b.absentDevDependencies.join(', ')})`,
      };
    });
    const database = await step('database', async () => {
      if (dbR.status === 'rejected') throw dbR.reason;
      const d = dbR.value.value;
      return {
        value: d,
        ms: dbR.value.ms,
        detail: `PostgreSQL 16 stands in for Cloud SQL: database ${d.name}, IAM logins ${d.logins.join(', ')} (password = the identity's metadata token); migrate login: CREATEROLE + database owner (cloudsqlsuperuser's share)`,
      };
    });
    await step('pubsub', async () => {
      if (emulatorR.status === 'rejected') throw emulatorR.reason;
      const emulatorMs = emulatorR.value.ms;
      const topology = await createTopologyFromStack(stack, emulatorHost, projectId);
      const push = topology.subscriptions
        .filter((s) => s.push)
        .map((s) => `${s.name} (→ ${s.push!.endpoint}, OIDC ${s.push!.serviceAccountEmail})`);
      return {
        value: topology,
        ms: emulatorMs,
        detail: `emulator ${emulatorHost}: topics ${topology.topics.join(', ')}; subscriptions ${topology.subscriptions.map((s) => `${s.name}${s.deadLetter ? ` (dead letters → ${s.deadLetter.topic} after ${s.deadLetter.maxDeliveryAttempts})` : ''}`).join(', ')}`,
        lines: push.map(
          (p) =>
            `substitution: push subscription ${p} is created as a pull subscription and a push driver POSTs each envelope with an OIDC token from the OIDC sandbox (the emulator's push sends none)`,
        ),
      };
    });

    // ── the deploy: migration job, then the services ──────────────────────────────────────────────────────
    await step(`migrate (job ${migrateJob.name})`, async () => {
      const child = spawnInImage(migrateJob.command!, build.dir, { ...baseEnv, ...envs[migrateJob.name]!.env });
      const code = await child.exited;
      if (code !== 0)
        throw new DriftError(
          `job ${migrateJob.name}`,
          `\`${migrateJob.command!.join(' ')}\` exited ${code}:\n${tail(child.output())}`,
        );
      return {
        value: undefined,
        detail: `\`${migrateJob.command!.join(' ')}\` as ${migrateJob.serviceAccountEmail}: ${child.output().trim().split('\n').pop()}`,
      };
    });
    const entrypoint = imageEntrypoint(root);
    const children: Partial<Record<ServiceName, RunningChild>> = {};
    // coda-push first: it checks its column map against Coda at start-up, and drchrono-sync's events go to it.
    for (const name of ['coda-push', 'drchrono-sync'] as const) {
      await step(`serve ${name}`, async () => {
        const child = spawnInImage(entrypoint, build.dir, { ...baseEnv, ...envs[name]!.env });
        closers.push(() => child.kill());
        children[name] = child;
        await waitHealthy(name, origins[name]!, child);
        return {
          value: undefined,
          detail: `ENTRYPOINT ${entrypoint.slice(0, 2).join(' ')} "…serve \\"$SERVICE\\"" on ${origins[name]}, GET /health 200`,
        };
      });
    }
    const pumps = await step('push', async () => {
      const started = stack.subscriptions
        .filter((s) => s.push)
        .map((s) => {
          const endpoint = new URL(s.push!.endpoint);
          const local = `${localOrigin(s.push!.endpoint, origins, `subscription ${s.name} push_endpoint`)}${endpoint.pathname}`;
          const pump = startPushPump({
            host: emulatorHost,
            projectId,
            subscription: s.name,
            endpoint: local,
            token: () => oidc.control.mintIdToken({ audience: s.push!.audience, email: s.push!.serviceAccountEmail }),
          });
          closers.push(() => pump.stop());
          return { subscription: s.name, pump };
        });
      return { value: started, detail: started.map((p) => `${p.subscription} → coda-push /pubsub/push`).join(', ') };
    });

    // ── what the deployed system must do ───────────────────────────────────────────────────────────────────
    const webhook = await step('webhook', async () => {
      const sent = await sendWebhook({
        stack,
        services: origins,
        drchrono,
        secret: envs['drchrono-sync']!.env.DRCHRONO_WEBHOOK_SECRET!,
      });
      return {
        value: sent,
        detail: `signed PATIENT_MODIFY for patient ${sent.id} via the ingress route /webhooks/* → ${sent.target}: ${sent.status}`,
      };
    });
    for (const job of stack.scheduler) {
      await step(`scheduler ${job.name}`, async () => {
        const status = await callSchedulerJob(job, origins, oidc);
        return {
          value: undefined,
          detail: `${job.method} ${new URL(job.uri).pathname}${new URL(job.uri).search} as ${job.serviceAccountEmail}: ${status}`,
        };
      });
    }
    await step('coda', async () => {
      await waitForCodaRow(
        coda.sandbox,
        JSON.parse(await readFile(coda.env.CODA_MAPPING!, 'utf8')),
        webhook.id,
        webhook.firstName,
      );
      const delivered = pumps.reduce((n, p) => n + p.pump.driver.deliveries.filter((d) => d.acked).length, 0);
      return {
        value: undefined,
        detail: `the webhook's patient ${webhook.id} is in the Coda patients table (${delivered} push deliveries acked)`,
      };
    });
    await step('dlq runbook', async () => {
      const admin = postgres(database.adminUrl, { max: 1, onnotice: () => {} });
      let rowId: number;
      try {
        const [row] = await admin<
          { id: number }[]
        >`SELECT id::int AS id FROM patients WHERE drchrono_id = ${webhook.id}`;
        rowId = row?.id ?? 1;
      } finally {
        await admin.end();
      }
      const moved = await runDlqRunbook({ root, appDir: build.dir, stack, baseEnv, emulatorHost, projectId, rowId });
      return { value: undefined, detail: `npx platform dlq replay (as node dist/cli/main.js dlq replay): ${moved}` };
    });
    await step('names', async () => {
      checkSubscriptionNames(stack);
      return { value: undefined, detail: 'every subscription is one the CLI and the runbooks name' };
    });
    const totalMs = performance.now() - started;
    print(`rehearsal of ${options.stackName} passed in ${seconds(totalMs)}`);
    return { ok: true, steps, totalMs };
  } catch (error) {
    const message =
      error instanceof DriftError
        ? error.message
        : error instanceof Error
          ? `${error.name}: ${error.message}`
          : String(error);
    print(`✗ ${current}: ${message}`);
    return { ok: false, steps, failure: { step: current, message }, totalMs: performance.now() - started };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}
