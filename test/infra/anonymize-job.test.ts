import { beforeAll, describe, expect, it } from 'vitest';
import { Testing, TerraformStack } from 'cdktf';
import { commandNames } from '../../cli/main.js';
import { AnonymizeJob } from '../../constructs/anonymize-job.js';
import {
  ANONYMIZE_JOB_NAME,
  ANONYMIZE_KEY_SECRET,
  anonymizeEnvSchema,
  anonymizeSourceInstanceName,
  iamDatabaseUser,
} from '../../contract/index.js';
import { ENVIRONMENTS } from '../../stacks/environments.js';
import { synthesizeAll, type TerraformJson } from '../../stacks/synth.js';
import { createTerraformResolver } from '../../stacks/terraform-refs.js';
import { resources } from './helpers.js';

const POINT_IN_TIME = '2026-12-01T06:00:00Z';
/** Staging's PSC facts as `gcloud sql instances describe platform-staging` prints them (runbook one-time step 1). */
const STAGING_SQL = {
  serviceAttachment:
    'projects/j8a1b2c3d4e5f6g7h-tp/regions/us-central1/serviceAttachments/a-0d3b4e5f6a7b-psc-service-attachment-1c2d3e',
  dnsName: '0d3b4e5f6a7b.1c2d3e4f5a6b.us-central1.sql.goog.',
};
/**
 * Prod as configured for a load: staging's PSC facts declared (one-time step 1) and the point-in-time clone declared
 * (runbook "Load (or reload) staging").
 */
const LOADING = {
  ...ENVIRONMENTS,
  prod: {
    ...ENVIRONMENTS.prod,
    anonymizeStaging: {
      ...ENVIRONMENTS.prod.anonymizeStaging!,
      stagingSql: STAGING_SQL,
      sourcePointInTime: POINT_IN_TIME,
    },
  },
};

let stacks: Record<string, TerraformJson>;
let loading: TerraformJson;
beforeAll(() => {
  const result = synthesizeAll();
  expect(result.errors).toEqual([]);
  stacks = result.stacks;
  const withClone = synthesizeAll({ environments: LOADING });
  expect(withClone.errors).toEqual([]);
  loading = withClone.stacks.prod!;
});

type EnvEntry = { name: string; value?: string; value_source?: { secret_key_ref: { secret: string } } };
const jobEnv = (json: TerraformJson) => anonymizeJob(json)!.template.template.containers[0].env as EnvEntry[];
const anonymizeGrants = (json: TerraformJson) =>
  resources(json, 'google_project_iam_member').filter(
    (r) => typeof r.member === 'string' && r.member.includes('google_service_account.anonymize-staging_sa_'),
  );

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
    const json = loading;
    const resolver = createTerraformResolver(json, { address: '10.10.0.9', projectNumber: '1', generatedId: '1' });
    const job = anonymizeJob(json)!;
    const env = jobEnv(json);
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
    expect(raw('ANONYMIZE_SOURCE_URL')).toMatch(/psc-anonymize-source-ip/);
    expect(raw('ANONYMIZE_TARGET_URL')).toMatch(/psc-staging-sql-ip/);
    // The source login is the job's own IAM user, created on the prod instance (every clone of it carries it).
    const sa = resolver.resolve(job.template.template.service_account);
    const prod = resources(json, 'google_sql_database_instance').find((i) => i.clone === undefined)!;
    const users = resources(json, 'google_sql_user')
      .filter((u) => resolver.resolve(u.instance as string) === prod.name)
      .map((u) => resolver.resolve(u.name as string));
    expect(users).toContain(decodeURIComponent(new URL(parsed.ANONYMIZE_SOURCE_URL!).username));
    expect(decodeURIComponent(new URL(parsed.ANONYMIZE_SOURCE_URL!).username)).toBe(iamDatabaseUser(sa));
    expect(decodeURIComponent(new URL(parsed.ANONYMIZE_TARGET_URL!).username)).toBe(iamDatabaseUser(sa));
  });

  it('reaches staging through its own PSC endpoint, and staging lets only prod in from outside', () => {
    const rule = resources(loading, 'google_compute_forwarding_rule').find((r) => r.name === 'psc-staging-sql')!;
    expect(rule.target).toBe(STAGING_SQL.serviceAttachment);
    const dns = resources(loading, 'google_dns_record_set').find((r) => r.name === STAGING_SQL.dnsName)!;
    expect(dns.rrdatas).toEqual([expect.stringMatching(/psc-staging-sql-ip/)]);
    expect(resources(loading, 'google_compute_network_peering')).toEqual([]);
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

  it('gives its identity exactly: key access and a Cloud SQL login on the clone only (conditioned), nothing project-wide', () => {
    const json = loading;
    const secretGrants = resources(json, 'google_secret_manager_secret_iam_member').filter(
      (r) => typeof r.member === 'string' && r.member.includes('google_service_account.anonymize-staging_sa_'),
    );
    expect(secretGrants.map((g) => g.role)).toEqual(['roles/secretmanager.secretAccessor']);
    const projectGrants = anonymizeGrants(json);
    expect(projectGrants.map((g) => g.role).sort()).toEqual(['roles/cloudsql.client', 'roles/cloudsql.instanceUser']);
    const clone = anonymizeSourceInstanceName(POINT_IN_TIME);
    for (const g of projectGrants)
      expect(g.condition.expression).toBe(
        `resource.name.startsWith("projects/feel-august-platform-prod/instances/${clone}")`,
      );
  });
});

describe('the target of the anonymize job: declared once staging exists', () => {
  it("without staging's PSC facts prod has no endpoint to staging and the job no target (a first deploy never points at a missing attachment)", () => {
    expect(ENVIRONMENTS.prod.anonymizeStaging!.stagingSql).toBeUndefined();
    expect(resources(stacks.prod!, 'google_compute_forwarding_rule').map((r) => r.name)).not.toContain(
      'psc-staging-sql',
    );
    expect(jobEnv(stacks.prod!).map((e) => e.name)).not.toContain('ANONYMIZE_TARGET_URL');
  });

  it('refuses PSC facts pasted wrong, naming the field that holds them', () => {
    const withStaging = (stagingSql: { serviceAttachment: string; dnsName: string }) => () =>
      synthesizeAll({
        environments: {
          ...LOADING,
          prod: { ...LOADING.prod, anonymizeStaging: { ...LOADING.prod.anonymizeStaging, stagingSql } },
        },
      });
    expect(withStaging({ ...STAGING_SQL, dnsName: STAGING_SQL.dnsName.slice(0, -1) })).toThrow(/note the final dot/);
    expect(withStaging({ ...STAGING_SQL, dnsName: 'x.us-east1.sql.goog.' })).toThrow(/us-central1\.sql\.goog/);
    expect(withStaging({ ...STAGING_SQL, serviceAttachment: 'a-0d3b4e5f6a7b-psc-service-attachment' })).toThrow(
      /pscServiceAttachmentLink/,
    );
  });
});

describe('the source of the anonymize job: a point-in-time clone of prod, never the live database', () => {
  it('without a declared point in time there is no clone, no source and no Cloud SQL login at all', () => {
    expect(resources(stacks.prod!, 'google_sql_database_instance')).toHaveLength(1);
    expect(jobEnv(stacks.prod!).map((e) => e.name)).not.toContain('ANONYMIZE_SOURCE_URL');
    expect(anonymizeGrants(stacks.prod!)).toEqual([]);
    // The user stays on prod so the next clone carries it; without a grant it cannot log in there.
    expect(resources(stacks.prod!, 'google_sql_user').map((u) => u.name as string)).toContainEqual(
      expect.stringMatching(/anonymize-staging_sa_/),
    );
  });

  it('a declared point in time adds a clone of the prod instance at that instant, as private and encrypted as prod', () => {
    const [prod, clone, ...rest] = resources(loading, 'google_sql_database_instance').sort((a, b) =>
      a.clone === undefined ? -1 : b.clone === undefined ? 1 : 0,
    );
    expect(rest).toEqual([]);
    expect(clone!.name).toBe('anonymize-source-20261201t060000z');
    expect(clone!.clone).toEqual({
      source_instance_name: expect.stringMatching(/^\$\{google_sql_database_instance\.postgres_instance_\w+\.name\}$/),
      point_in_time: POINT_IN_TIME,
    });
    expect(prod!.name).toBe('platform-prod');
    expect(clone!.database_version).toBe(prod!.database_version);
    expect(clone!.encryption_key_name).toBe(prod!.encryption_key_name);
    expect(clone!.settings.ip_configuration).toEqual(prod!.settings.ip_configuration);
    expect(clone!.settings.database_flags).toEqual(prod!.settings.database_flags);
    // Disposable: the deploy that drops the point in time deletes it.
    expect(clone!.deletion_protection).toBe(false);
    expect(clone!.settings.deletion_protection_enabled).toBe(false);
    expect(clone!.settings.user_labels).toEqual({ 'data-class': 'phi', lifecycle: 'disposable-clone' });
    // The clone already holds prod's database and users: creating them again would fail the apply.
    for (const type of ['google_sql_database', 'google_sql_user'])
      for (const r of resources(loading, type)) expect(r.instance).not.toMatch(/anonymize-source/);
  });

  it('the job reads the clone through its own PSC endpoint, and no other identity can log in to it', () => {
    const rule = resources(loading, 'google_compute_forwarding_rule').find((r) => r.name === 'psc-anonymize-source')!;
    expect(rule.target).toMatch(
      /^\$\{google_sql_database_instance\.anonymize-source_instance_\w+\.psc_service_attachment_link\}$/,
    );
    const dns = resources(loading, 'google_dns_record_set').find((r) => /anonymize-source/.test(r.name as string))!;
    expect(dns.rrdatas).toEqual([expect.stringMatching(/psc-anonymize-source-ip/)]);
    expect(jobEnv(loading).find((e) => e.name === 'ANONYMIZE_SOURCE_URL')!.value).toMatch(/psc-anonymize-source-ip/);
    const resource = `projects/feel-august-platform-prod/instances/${anonymizeSourceInstanceName(POINT_IN_TIME)}`;
    const others = resources(loading, 'google_project_iam_member').filter(
      (g) => !anonymizeGrants(loading).includes(g) && typeof g.condition?.expression === 'string',
    );
    expect(others.length).toBeGreaterThan(0);
    for (const g of others) {
      const prefix = /startsWith\("([^"]+)"\)/.exec(g.condition.expression as string)?.[1];
      if (prefix !== undefined) expect(resource.startsWith(prefix), g.condition.expression).toBe(false);
    }
  });

  it('pages when a clone is still up 12 h after it was made (its removal, runbook step 4, forgotten)', () => {
    const clone = resources(loading, 'google_sql_database_instance').find((i) => i.clone !== undefined)!;
    const alert = resources(loading, 'google_monitoring_alert_policy').find((a) =>
      /Point-in-time clone/.test(a.display_name as string),
    )!;
    const condition = alert.conditions[0].condition_threshold;
    const prefix = /database_id = starts_with\("([^"]+)"\)/.exec(condition.filter as string)![1]!;
    // Cloud SQL metrics name an instance "<project>:<instance>".
    expect(`${clone.project}:${clone.name}`.startsWith(prefix)).toBe(true);
    expect(`${clone.project}:platform-prod`.startsWith(prefix)).toBe(false);
    expect(condition.filter).toMatch(/metric\.type = "cloudsql\.googleapis\.com\/database\/up"/);
    expect(condition.duration).toBe('43200s');
    expect(alert.notification_channels).toHaveLength(1);
    expect(alert.documentation.content).toMatch(/anonymize-staging\.md$/);
  });

  it('names each clone by its instant (Cloud SQL keeps a deleted name for a week) and refuses an instant that is not UTC', () => {
    expect(anonymizeSourceInstanceName('2026-12-01T06:00:00.250Z')).toBe('anonymize-source-20261201t060000z');
    const withInstant = (sourcePointInTime: string) => () =>
      synthesizeAll({
        environments: {
          ...LOADING,
          prod: { ...LOADING.prod, anonymizeStaging: { ...LOADING.prod.anonymizeStaging, sourcePointInTime } },
        },
      });
    expect(withInstant('2026-12-01 06:00')).toThrow(/cloneOf\.pointInTime must be an RFC 3339 UTC instant/);
    expect(withInstant('2026-12-01T06:00:00-05:00')).toThrow(/RFC 3339 UTC instant/);
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
