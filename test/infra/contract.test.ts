import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { commandNames } from '../../cli/main.js';
import {
  changeEventNames,
  iamDatabaseUser,
  migrateEnvSchema,
  SCHEDULER_JOBS,
  SECRETS,
  SERVICE_NAMES,
  serviceEnvSchemas,
  type ServiceName,
  MIGRATE_JOB_NAME,
} from '../../contract/index.js';
import { synthesizeAll, type TerraformJson } from '../../stacks/synth.js';
import { createTerraformResolver } from '../../stacks/terraform-refs.js';
import { resources } from './helpers.js';

// The deploy contract, checked on the synthesized stacks: what Terraform would deploy is exactly what the services
// accept, and every resource a service, the CLI or a runbook names exists. Each check fails if the two sides drift.

const ROOT = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(resolve(ROOT, path), 'utf8');
let stacks: Record<string, TerraformJson>;

beforeAll(() => {
  const result = synthesizeAll();
  expect(result.errors).toEqual([]);
  stacks = result.stacks;
});

/** Values Cloud Run would put into secret variables: anything valid for the variable counts (it is a reference). */
const SAMPLE_SECRET_VALUES: Record<string, string> = {
  DEEPCURA_KEY: Buffer.alloc(32, 7).toString('base64'),
  CODA_MAPPING_JSON: '{"tables":{}}',
  DRCHRONO_WEBHOOK_SECRET: 'a-webhook-secret-of-some-length',
};
const sampleSecret = (name: string) => SAMPLE_SECRET_VALUES[name] ?? 'secret-value';

interface EnvEntry {
  name: string;
  value?: string;
  value_source?: { secret_key_ref: { secret: string; version: string } };
}

function cloudRunServices(json: TerraformJson) {
  return resources(json, 'google_cloud_run_v2_service').map((service) => {
    const container = service.template.containers[0] as { env: EnvEntry[] };
    return {
      name: service.name as ServiceName,
      serviceAccount: service.template.service_account as string,
      env: container.env,
    };
  });
}

describe.each(['staging', 'prod'])('%s: the deploy contract', (stackName) => {
  const json = () => stacks[stackName]!;
  const resolver = () => createTerraformResolver(json());

  it('deploys exactly the two services the CLI can serve', () => {
    expect(
      cloudRunServices(json())
        .map((s) => s.name)
        .sort(),
    ).toEqual([...SERVICE_NAMES].sort());
  });

  it.each(SERVICE_NAMES)('gives %s an environment its own schema accepts (secrets counted by reference)', (service) => {
    const { env } = cloudRunServices(json()).find((s) => s.name === service)!;
    const plain = Object.fromEntries(
      env.filter((e) => e.value !== undefined).map((e) => [e.name, resolver().resolve(e.value!)]),
    );
    const secret = Object.fromEntries(env.filter((e) => e.value_source).map((e) => [e.name, sampleSecret(e.name)]));
    const parsed = serviceEnvSchemas[service].safeParse({ ...plain, ...secret, K_SERVICE: service });
    expect(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([]);
  });

  it.each(SERVICE_NAMES)(
    'gives %s every secret the contract says it reads, each from a secret the stack creates',
    (service) => {
      const { env } = cloudRunServices(json()).find((s) => s.name === service)!;
      const created = new Set(resources(json(), 'google_secret_manager_secret').map((s) => s.secret_id as string));
      const mounted = Object.fromEntries(
        env
          .filter((e) => e.value_source)
          .map((e) => [e.name, resolver().resolve(e.value_source!.secret_key_ref.secret)]),
      );
      const expected = Object.fromEntries(
        Object.entries(SECRETS).flatMap(([id, spec]) => (spec.service === service && spec.env ? [[spec.env, id]] : [])),
      );
      expect(mounted).toEqual(expected);
      for (const id of Object.values(mounted)) expect(created, `secret ${id}`).toContain(id);
    },
  );

  it('creates every secret of the contract, and the token store names one of them', () => {
    const created = resources(json(), 'google_secret_manager_secret')
      .map((s) => s.secret_id as string)
      .sort();
    // Plus, in prod only, the anonymize job's pseudonym key (constructs/anonymize-job.ts; not a service's secret).
    const anonymizeKey = stackName === 'prod' ? ['anonymize-key'] : [];
    expect(created).toEqual([...Object.keys(SECRETS), ...anonymizeKey].sort());
    const sync = cloudRunServices(json()).find((s) => s.name === 'drchrono-sync')!;
    const store = resolver().resolve(sync.env.find((e) => e.name === 'DRCHRONO_TOKEN_STORE')!.value!);
    const [, project, secret] = /^secret-manager:projects\/([^/]+)\/secrets\/([^/]+)$/.exec(store) ?? [];
    expect(project).toBe(resources(json(), 'google_secret_manager_secret')[0]!.project);
    expect(created).toContain(secret);
  });

  it('logs each service and the migration job in as its own Cloud SQL IAM user, which the stack creates', () => {
    const users = new Set(resources(json(), 'google_sql_user').map((u) => resolver().resolve(u.name as string)));
    const loginOf = (url: string) => decodeURIComponent(new URL(resolver().resolve(url)).username);
    for (const service of cloudRunServices(json())) {
      const url = service.env.find((e) => e.name === 'DATABASE_URL')!.value!;
      expect(loginOf(url), service.name).toBe(iamDatabaseUser(resolver().resolve(service.serviceAccount)));
      expect(users, service.name).toContain(loginOf(url));
      expect(service.env.find((e) => e.name === 'DATABASE_AUTH')?.value, service.name).toBe('cloudsql-iam');
    }
    const job = resources(json(), 'google_cloud_run_v2_job').find((j) => j.name === MIGRATE_JOB_NAME)!;
    const jobEnv = Object.fromEntries(
      (job.template.template.containers[0].env as EnvEntry[]).map((e) => [e.name, resolver().resolve(e.value!)]),
    );
    const parsed = migrateEnvSchema.parse(jobEnv);
    expect(users).toContain(decodeURIComponent(new URL(parsed.DATABASE_URL).username));
    expect(decodeURIComponent(new URL(parsed.DATABASE_URL).username)).toBe(
      iamDatabaseUser(resolver().resolve(job.template.template.service_account)),
    );
    // The application role goes to exactly the services' logins.
    const serviceLogins = cloudRunServices(json()).map((s) => iamDatabaseUser(resolver().resolve(s.serviceAccount)));
    expect([...(parsed.DATABASE_APP_LOGINS ?? [])].sort()).toEqual(serviceLogins.sort());
  });

  it('runs a command the CLI has: the image entry point (serve) and the migration job', () => {
    const entrypoint = /^ENTRYPOINT (.+)$/m.exec(read('Dockerfile'))![1]!;
    const served = /node dist\/cli\/main\.js (\w+)/.exec(entrypoint)![1]!;
    expect(commandNames).toContain(served);
    const job = resources(json(), 'google_cloud_run_v2_job')[0]!.template.template.containers[0];
    expect(job.command).toEqual(['node']);
    expect(job.args[0]).toBe('dist/cli/main.js');
    expect(commandNames).toContain(job.args[1]);
  });

  it('creates the topic drchrono-sync publishes to, the push subscription to coda-push, and the dead-letter subscription the replay reads', () => {
    const sync = cloudRunServices(json()).find((s) => s.name === 'drchrono-sync')!;
    const topic = resolver().resolve(sync.env.find((e) => e.name === 'PUBSUB_TOPIC')!.value!);
    const names = changeEventNames(topic);
    expect(
      resources(json(), 'google_pubsub_topic')
        .map((t) => t.name)
        .sort(),
    ).toEqual([names.topic, names.deadLetterTopic].sort());
    const subscriptions = Object.fromEntries(resources(json(), 'google_pubsub_subscription').map((s) => [s.name, s]));
    expect(Object.keys(subscriptions).sort()).toEqual([names.pushSubscription, names.deadLetterSubscription].sort());
    const push = subscriptions[names.pushSubscription]!;
    const codaPush = cloudRunServices(json()).find((s) => s.name === 'coda-push')!;
    const codaEnv = Object.fromEntries(
      codaPush.env.filter((e) => e.value).map((e) => [e.name, resolver().resolve(e.value!)]),
    );
    expect(resolver().resolve(push.push_config.push_endpoint)).toBe(`${codaEnv.AUTH_OIDC_AUDIENCE}/pubsub/push`);
    expect(resolver().resolve(push.push_config.oidc_token.audience)).toBe(codaEnv.AUTH_OIDC_AUDIENCE);
    expect(codaEnv.PUSH_OIDC_ALLOWED_EMAILS).toBe(
      resolver().resolve(push.push_config.oidc_token.service_account_email),
    );
    expect(resolver().resolve(push.dead_letter_policy.dead_letter_topic)).toContain(`/topics/${names.deadLetterTopic}`);
  });

  it("schedules the contract's jobs at paths the services serve, with tokens the target admits", () => {
    const services = Object.fromEntries(
      cloudRunServices(json()).map((s) => [
        s.name,
        Object.fromEntries(s.env.filter((e) => e.value).map((e) => [e.name, resolver().resolve(e.value!)])),
      ]),
    );
    const jobs = resources(json(), 'google_cloud_scheduler_job');
    expect(jobs.map((j) => j.name).sort()).toEqual(Object.keys(SCHEDULER_JOBS).sort());
    for (const job of jobs) {
      const spec = SCHEDULER_JOBS[job.name as keyof typeof SCHEDULER_JOBS];
      const target = services[spec.service]!;
      expect(resolver().resolve(job.http_target.uri), job.name).toBe(`${target.AUTH_OIDC_AUDIENCE}${spec.path}`);
      expect(resolver().resolve(job.http_target.oidc_token.audience), job.name).toBe(target.AUTH_OIDC_AUDIENCE);
      expect(target.AUTH_OIDC_ALLOWED_EMAILS!.split(','), job.name).toContain(
        resolver().resolve(job.http_target.oidc_token.service_account_email),
      );
    }
  });

  it('every secret, subscription, scheduler job and Cloud Run job a runbook names exists in the stack', () => {
    const stack = json();
    const existing = {
      secret: new Set(resources(stack, 'google_secret_manager_secret').map((s) => s.secret_id as string)),
      subscription: new Set(resources(stack, 'google_pubsub_subscription').map((s) => s.name as string)),
      topic: new Set(resources(stack, 'google_pubsub_topic').map((s) => s.name as string)),
      scheduler: new Set(resources(stack, 'google_cloud_scheduler_job').map((s) => s.name as string)),
      job: new Set(resources(stack, 'google_cloud_run_v2_job').map((s) => s.name as string)),
    };
    const docs = ['README.md', ...readdirSync(resolve(ROOT, 'docs/runbooks')).map((f) => `docs/runbooks/${f}`)];
    const named: [keyof typeof existing, string, string][] = [];
    // A command that names another environment's project (`--project feel-august-platform-prod` on its line, e.g.
    // the prod-only anonymize job) is checked against that environment's stack only.
    const project = resources(stack, 'google_sql_database_instance')[0]!.project as string;
    const push = (kind: keyof typeof existing, m: RegExpMatchArray, doc: string) => {
      const text = m.input!;
      const line = text.slice(m.index!, text.indexOf('\n', m.index!) >>> 0 || undefined);
      const other = /--project[= ]([a-z][\w-]+)/.exec(line)?.[1];
      if (other === undefined || other === project) named.push([kind, m[1]!, doc]);
    };
    for (const doc of docs) {
      const text = read(doc);
      for (const m of text.matchAll(
        /gcloud secrets versions (?:add|access)\s+(?:latest\s+--secret[= ])?([a-z][\w-]+)/g,
      ))
        push('secret', m, doc);
      for (const m of text.matchAll(/gcloud pubsub subscriptions (?:pull|describe|seek)\s+([a-z][\w-]+)/g))
        push('subscription', m, doc);
      for (const m of text.matchAll(/gcloud run jobs execute\s+([a-z][\w-]+)/g)) push('job', m, doc);
      for (const m of text.matchAll(/Cloud Scheduler → `([\w-]+)`/g)) push('scheduler', m, doc);
    }
    expect(named.length, 'the runbooks name resources').toBeGreaterThan(3);
    const missing = named
      .filter(([kind, name]) => !existing[kind].has(name))
      .map(([kind, name, doc]) => `${doc}: ${kind} ${name}`);
    expect(missing).toEqual([]);
  });
});

describe('one Node major for what is tested and what runs', () => {
  it('the image, .nvmrc and every workflow use the same Node major', () => {
    const major = read('.nvmrc').trim();
    expect(/^ARG NODE_IMAGE=node:(\d+)-/m.exec(read('Dockerfile'))?.[1]).toBe(major);
    for (const workflow of ['.github/workflows/main.yml', '.github/workflows/pull-request.yml']) {
      const text = read(workflow);
      expect(text, workflow).not.toMatch(/node-version:\s/);
      expect((text.match(/actions\/setup-node@/g) ?? []).length, workflow).toBe(
        (text.match(/node-version-file: \.nvmrc/g) ?? []).length,
      );
    }
  });
});
