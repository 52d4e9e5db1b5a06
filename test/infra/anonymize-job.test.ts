import { beforeAll, describe, expect, it } from 'vitest';
import { Testing, TerraformStack } from 'cdktf';
import { commandNames } from '../../cli/main.js';
import { AnonymizeJob } from '../../constructs/anonymize-job.js';
import { ANONYMIZE_JOB_NAME, ANONYMIZE_KEY_SECRET, anonymizeEnvSchema, iamDatabaseUser } from '../../contract/index.js';
import { synthesizeAll, type TerraformJson } from '../../stacks/synth.js';
import { createTerraformResolver } from '../../stacks/terraform-refs.js';
import { resources } from './helpers.js';

let stacks: Record<string, TerraformJson>;
beforeAll(() => {
  const result = synthesizeAll();
  expect(result.errors).toEqual([]);
  stacks = result.stacks;
});

const anonymizeJob = (json: TerraformJson) =>
  resources(json, 'google_cloud_run_v2_job').find((j) => j.name === ANONYMIZE_JOB_NAME);

describe('the anonymize job (loads staging with de-identified data)', () => {
  it('exists in prod only', () => {
    expect(anonymizeJob(stacks.prod!)).toBeDefined();
    expect(anonymizeJob(stacks.staging!)).toBeUndefined();
  });

  it('runs `platform anonymize` from the platform image, one task, no retries', () => {
    const job = anonymizeJob(stacks.prod!)!;
    const container = job.template.template.containers[0];
    expect(container.image).toBe('${var.image}');
    expect([...container.command, ...container.args].slice(0, 3)).toEqual(['node', 'dist/cli/main.js', 'anonymize']);
    expect(commandNames).toContain(container.args[1]);
    expect(job.template.template.max_retries).toBe(0);
    expect(job.template.task_count).toBe(1);
    expect(job.template.template.vpc_access.egress).toBe('PRIVATE_RANGES_ONLY');
  });

  it('holds no secret in its environment: the key comes from Secret Manager, logins are Cloud SQL IAM', () => {
    const json = stacks.prod!;
    const resolver = createTerraformResolver(json, { address: '10.10.0.9', projectNumber: '1', generatedId: '1' });
    const job = anonymizeJob(json)!;
    const env = job.template.template.containers[0].env as {
      name: string;
      value?: string;
      value_source?: { secret_key_ref: { secret: string } };
    }[];
    const key = env.find((e) => e.name === 'ANONYMIZE_KEY')!;
    expect(key.value).toBeUndefined();
    const secret = resources(json, 'google_secret_manager_secret').find((s) => s.secret_id === ANONYMIZE_KEY_SECRET)!;
    expect(resolver.resolve(key.value_source!.secret_key_ref.secret)).toBe(ANONYMIZE_KEY_SECRET);
    expect(secret.replication.user_managed.replicas[0].customer_managed_encryption.kms_key_name).toMatch(/\$\{/);
    const plain = Object.fromEntries(
      env.filter((e) => e.value !== undefined).map((e) => [e.name, resolver.resolve(e.value!)]),
    );
    for (const [name, value] of Object.entries(plain)) {
      expect(name).not.toMatch(/KEY|SECRET|TOKEN|PASSWORD/);
      expect(value).not.toMatch(/:\/\/[^/@]*:[^/@]*@/);
    }
    const parsed = anonymizeEnvSchema.parse(plain);
    expect(parsed.ANONYMIZE_SOURCE_AUTH).toBe('cloudsql-iam');
    expect(parsed.ANONYMIZE_TARGET_AUTH).toBe('cloudsql-iam');
    // Different endpoints (compared before resolution: every PSC address resolves to the same stand-in here).
    const raw = (name: string) => env.find((e) => e.name === name)!.value!;
    expect(raw('ANONYMIZE_SOURCE_URL')).toMatch(/psc-sql-ip/);
    expect(raw('ANONYMIZE_TARGET_URL')).toMatch(/psc-staging-sql-ip/);
    // The source login is the job's own IAM user, created on the prod instance by the stack.
    const sa = resolver.resolve(job.template.template.service_account);
    const users = resources(json, 'google_sql_user').map((u) => resolver.resolve(u.name as string));
    expect(users).toContain(decodeURIComponent(new URL(parsed.ANONYMIZE_SOURCE_URL!).username));
    expect(decodeURIComponent(new URL(parsed.ANONYMIZE_SOURCE_URL!).username)).toBe(iamDatabaseUser(sa));
    expect(decodeURIComponent(new URL(parsed.ANONYMIZE_TARGET_URL!).username)).toBe(iamDatabaseUser(sa));
  });

  it('reaches staging through its own PSC endpoint, and staging lets only prod in from outside', () => {
    const rule = resources(stacks.prod!, 'google_compute_forwarding_rule').find((r) => r.name === 'psc-staging-sql')!;
    expect(rule.target).toMatch(/serviceAttachments\//);
    expect(resources(stacks.prod!, 'google_compute_network_peering')).toEqual([]);
    const stagingSql = resources(stacks.staging!, 'google_sql_database_instance')[0]!;
    expect(stagingSql.settings.ip_configuration.ipv4_enabled).toBe(false);
    expect(stagingSql.settings.ip_configuration.psc_config[0].allowed_consumer_projects).toEqual([
      'feel-august-platform-staging',
      'feel-august-platform-prod',
    ]);
    const prodSql = resources(stacks.prod!, 'google_sql_database_instance')[0]!;
    expect(prodSql.settings.ip_configuration.psc_config[0].allowed_consumer_projects).toEqual([
      'feel-august-platform-prod',
    ]);
  });

  it('gives its identity exactly: key access, Cloud SQL login on the prod instance (conditioned), and nothing project-wide', () => {
    const json = stacks.prod!;
    const sa = '${google_service_account.anonymize-staging_sa_';
    const members = (type: string) =>
      resources(json, type).filter((r) => typeof r.member === 'string' && r.member.includes(sa.slice(2, 40)));
    const secretGrants = members('google_secret_manager_secret_iam_member');
    expect(secretGrants.map((g) => g.role)).toEqual(['roles/secretmanager.secretAccessor']);
    const projectGrants = members('google_project_iam_member');
    expect(projectGrants.map((g) => g.role).sort()).toEqual(['roles/cloudsql.client', 'roles/cloudsql.instanceUser']);
    for (const g of projectGrants) expect(g.condition.expression).toMatch(/instances\/platform-prod/);
  });
});

describe('AnonymizeJob', () => {
  const base = {
    projectId: 'p',
    region: 'us-central1',
    name: 'j',
    serviceAccountId: 'run-anonymize',
    image: 'img',
    command: ['node', 'dist/cli/main.js', 'anonymize'],
    encryptionKeyId: 'k',
    secretKmsKeyId: 'k',
    keySecretId: 'anonymize-key',
    networkId: 'n',
    subnetId: 's',
  };
  const build = (env: Record<string, string>) => () =>
    new AnonymizeJob(new TerraformStack(Testing.app(), 'test'), 'job', { ...base, env });

  it('refuses a secret in plain environment variables', () => {
    expect(build({ ANONYMIZE_KEY: 'x'.repeat(40) })).toThrow(/looks like a secret/);
    expect(build({ ANONYMIZE_TARGET_URL: 'postgres://u:pw@h/db' })).toThrow(/password in its URL/);
    expect(build({ ANONYMIZE_SOURCE_URL: 'postgres://u@h/db', ANONYMIZE_TARGET_URL: 'postgres://u@h/db' })).toThrow(
      /same database/,
    );
    expect(build({ ANONYMIZE_SOURCE_URL: 'postgres://u@h/a', ANONYMIZE_TARGET_URL: 'postgres://u@h/b' })).not.toThrow();
  });
});
