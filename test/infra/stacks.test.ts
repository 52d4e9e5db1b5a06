import { LOG_EVENTS } from '../../contract/resources.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesizeAll, type TerraformJson } from '../../stacks/synth.js';
import { REQUIRED_ORG_POLICIES } from '../../constructs/policies/index.js';
import { allStrings, resourceAt, resources } from './helpers.js';

let stacks: Record<string, TerraformJson>;
const KMS_REF = /^\$\{google_kms_crypto_key\.[\w-]+\.id\}$/;

beforeAll(() => {
  const result = synthesizeAll();
  expect(result.errors).toEqual([]);
  stacks = result.stacks;
});

describe('synthesized stacks', () => {
  it('writes bootstrap, staging and prod', () => {
    expect(Object.keys(stacks).sort()).toEqual(['bootstrap', 'prod', 'staging']);
  });

  it('keeps env state in a GCS backend with a per-stack prefix, bootstrap state local', () => {
    expect(stacks.staging!.terraform?.['backend']).toEqual({
      gcs: { bucket: 'feel-august-platform-staging-tfstate', prefix: 'platform/staging' },
    });
    expect(stacks.prod!.terraform?.['backend']).toEqual({
      gcs: { bucket: 'feel-august-platform-prod-tfstate', prefix: 'platform/prod' },
    });
    expect(stacks.bootstrap!.terraform?.['backend']).toHaveProperty('local');
  });

  it('bootstrap state buckets are private, versioned and CMEK-encrypted, one per project', () => {
    const buckets = resources(stacks.bootstrap!, 'google_storage_bucket');
    expect(buckets.map((b) => b.project).sort()).toEqual(['feel-august-platform-prod', 'feel-august-platform-staging']);
    for (const b of buckets) {
      expect(b).toMatchObject({
        uniform_bucket_level_access: true,
        public_access_prevention: 'enforced',
        versioning: { enabled: true },
      });
      expect(b.encryption.default_kms_key_name).toMatch(KMS_REF);
    }
  });
});

describe.each(['staging', 'prod'])('%s stack', (name) => {
  const json = (): TerraformJson => stacks[name]!;

  it('Cloud SQL is POSTGRES_16 ENTERPRISE, private-only over PSC, SSL-only, CMEK', () => {
    const [sql, ...rest] = resources(json(), 'google_sql_database_instance');
    expect(rest).toEqual([]);
    expect(sql!.database_version).toBe('POSTGRES_16');
    expect(sql!.settings.edition).toBe('ENTERPRISE');
    expect(sql!.settings.ip_configuration.ipv4_enabled).toBe(false);
    expect(sql!.settings.ip_configuration.authorized_networks).toBeUndefined();
    expect(sql!.settings.ip_configuration.psc_config[0].psc_enabled).toBe(true);
    expect(sql!.settings.ip_configuration.ssl_mode).toBe('ENCRYPTED_ONLY');
    expect(sql!.encryption_key_name).toMatch(KMS_REF);
  });

  it('Cloud SQL has backups, PITR with 7 days of logs, and deletion protection on both sides', () => {
    const sql = resources(json(), 'google_sql_database_instance')[0]!;
    expect(sql.settings.backup_configuration).toMatchObject({
      enabled: true,
      point_in_time_recovery_enabled: true,
      transaction_log_retention_days: 7,
    });
    expect(sql.deletion_protection).toBe(true);
    expect(sql.settings.deletion_protection_enabled).toBe(true);
  });

  it('Cloud SQL audits with pgaudit, uses IAM auth and never logs statement text', () => {
    const sql = resources(json(), 'google_sql_database_instance')[0]!;
    const flags = Object.fromEntries(sql.settings.database_flags.map((f: any) => [f.name, f.value]));
    expect(flags).toMatchObject({ 'cloudsql.enable_pgaudit': 'on', 'cloudsql.iam_authentication': 'on' });
    expect(flags).not.toHaveProperty('log_min_duration_statement');
    expect(flags).not.toHaveProperty('log_statement');
    expect(sql.settings.insights_config.record_client_address).toBe(false);
    const users = resources(json(), 'google_sql_user');
    // The two services, the migration job and (prod) the anonymize job: IAM users only.
    expect(users.length).toBeGreaterThanOrEqual(3);
    expect(new Set(users.map((u) => u.type))).toEqual(new Set(['CLOUD_IAM_SERVICE_ACCOUNT']));
    expect(users.some((u) => 'password' in u)).toBe(false);
  });

  it('the PSC endpoint forwards to the instance attachment with a private DNS record', () => {
    const rule = resourceAt(json(), 'google_compute_forwarding_rule', 'network/psc-sql');
    expect(rule.target).toMatch(/psc_service_attachment_link\}$/);
    expect(resourceAt(json(), 'google_dns_managed_zone', 'network/sql-zone').visibility).toBe('private');
  });

  it('uses CMEK on every topic, bucket, secret, Cloud Run service and the registry', () => {
    for (const t of resources(json(), 'google_pubsub_topic')) expect(t.kms_key_name).toMatch(KMS_REF);
    for (const b of resources(json(), 'google_storage_bucket'))
      expect(b.encryption.default_kms_key_name).toMatch(KMS_REF);
    for (const s of resources(json(), 'google_secret_manager_secret')) {
      for (const r of s.replication.user_managed.replicas)
        expect(r.customer_managed_encryption.kms_key_name).toMatch(KMS_REF);
    }
    for (const r of resources(json(), 'google_cloud_run_v2_service'))
      expect(r.template.encryption_key).toMatch(KMS_REF);
    for (const a of resources(json(), 'google_artifact_registry_repository')) expect(a.kms_key_name).toMatch(KMS_REF);
    for (const k of resources(json(), 'google_kms_crypto_key')) expect(k.rotation_period).toBe('7776000s');
  });

  it('has no service-account keys, no secret values and no public IAM members anywhere', () => {
    expect(resources(json(), 'google_service_account_key')).toEqual([]);
    expect(resources(json(), 'google_secret_manager_secret_version')).toEqual([]);
    const strings = allStrings(json().resource);
    expect(strings).not.toContain('allUsers');
    expect(strings).not.toContain('allAuthenticatedUsers');
    const roles = Object.entries(json().resource ?? {})
      .filter(([type]) => type.endsWith('_iam_member') || type.endsWith('_iam_binding'))
      .flatMap(([, rs]) => Object.values(rs).map((r) => r['role']));
    expect(roles).not.toContain('roles/owner');
    expect(roles).not.toContain('roles/editor');
  });

  it('pushes change events with OIDC, retry policy and a dead-letter topic that has its own subscription', () => {
    const subs = resources(json(), 'google_pubsub_subscription');
    const push = subs.filter((s) => s.push_config);
    expect(push).toHaveLength(1);
    for (const s of push) {
      expect(s.push_config.oidc_token.service_account_email).toBeTruthy();
      expect(s.push_config.oidc_token.audience).toMatch(/^https:\/\/coda-push-/);
      expect(s.push_config.push_endpoint).toMatch(/\/pubsub\/push$/);
      expect(s.dead_letter_policy.max_delivery_attempts).toBe(10);
      expect(s.retry_policy).toEqual({ minimum_backoff: '10s', maximum_backoff: '600s' });
    }
    const dlqTopic = resourceAt(json(), 'google_pubsub_topic', 'change-events/dlq-topic');
    expect(dlqTopic.name).toBe('change-events-dlq');
    const dlqSub = resourceAt(json(), 'google_pubsub_subscription', 'change-events/dlq-subscription');
    expect(dlqSub.topic).toMatch(/dlq-topic.*\.id\}$/);
    expect(resourceAt(json(), 'google_pubsub_topic', 'change-events/topic').name).toBe('change-events');
  });

  it('grants the Pub/Sub service agent publisher on the DLQ and subscriber on the source subscription', () => {
    const agent =
      /^serviceAccount:service-\$\{data\.google_project\.project\.number\}@gcp-sa-pubsub\.iam\.gserviceaccount\.com$/;
    const pub = resourceAt(json(), 'google_pubsub_topic_iam_member', 'agent-dlq-publisher');
    expect(pub).toMatchObject({ role: 'roles/pubsub.publisher' });
    expect(pub.member).toMatch(agent);
    const sub = resourceAt(json(), 'google_pubsub_subscription_iam_member', 'agent-source-subscriber');
    expect(sub).toMatchObject({ role: 'roles/pubsub.subscriber' });
    expect(sub.member).toMatch(agent);
  });

  it('only the push identity and the scheduler may invoke coda-push, and nothing is granted invoker project-wide', () => {
    const invokers = resources(json(), 'google_cloud_run_v2_service_iam_member');
    expect(invokers).toHaveLength(2);
    for (const invoker of invokers) {
      expect(invoker.role).toBe('roles/run.invoker');
      expect(invoker.name).toMatch(/^\$\{google_cloud_run_v2_service\.coda-push_service_\w+\.name\}$/);
    }
    expect(invokers.map((i) => i.member).sort()).toEqual([
      expect.stringMatching(/^serviceAccount:\$\{google_service_account\.change-events_push-sa_\w+\.email\}$/),
      expect.stringMatching(/^serviceAccount:\$\{google_service_account\.schedule_sa_\w+\.email\}$/),
    ]);
    expect(resources(json(), 'google_project_iam_member').map((m) => m.role)).not.toContain('roles/run.invoker');
  });

  it('gives coda-push one caller list for push and another for operator endpoints', () => {
    const push = resourceAt(json(), 'google_cloud_run_v2_service', 'coda-push/service');
    const env = Object.fromEntries(
      (push.template.containers[0].env as Array<{ name: string; value?: string }>).map((e) => [e.name, e.value]),
    );
    expect(env['PUSH_OIDC_ALLOWED_EMAILS']).toMatch(/^\$\{google_service_account\.change-events_push-sa_\w+\.email\}$/);
    expect(env['AUTH_OIDC_ALLOWED_EMAILS']).toMatch(/^\$\{google_service_account\.schedule_sa_\w+\.email\}$/);
    expect(env['PUSH_AUTH']).toBe('oidc');
  });

  it('schedules incremental sync every 15 minutes, a nightly deep reconcile and the cleanup on coda-push, all with OIDC', () => {
    const jobs = resources(json(), 'google_cloud_scheduler_job');
    expect(jobs.length).toBeGreaterThanOrEqual(4);
    for (const j of jobs) {
      expect(j.http_target.oidc_token.service_account_email).toMatch(
        /^\$\{google_service_account\.schedule_sa_\w+\.email\}$/,
      );
      expect(j.http_target.uri).toMatch(/^https:\/\//);
      // The token's audience is the service the job calls: each app only accepts its own URL.
      expect(j.http_target.uri.startsWith(`${j.http_target.oidc_token.audience}/`), j.name).toBe(true);
    }
    expect(jobs.find((j) => j.name === 'sync-incremental')).toMatchObject({ schedule: '*/15 * * * *' });
    expect(jobs.find((j) => j.name === 'sync-incremental')?.http_target.oidc_token.audience).toMatch(
      /^https:\/\/drchrono-sync-/,
    );
    expect(jobs.find((j) => j.name === 'sync-deep')?.http_target.uri).toMatch(
      /^https:\/\/drchrono-sync-.*\/sync\/all\?deep=true$/,
    );
    expect(jobs.find((j) => j.name === 'outbox-drain')?.http_target.uri).toMatch(
      /^https:\/\/drchrono-sync-.*\/outbox\/drain$/,
    );
    expect(jobs.find((j) => j.name === 'maintenance-cleanup')?.http_target.uri).toMatch(
      /^https:\/\/coda-push-.*\/maintenance\/cleanup$/,
    );
  });

  it('runs drchrono-sync with min 1 instance and CPU always allocated, coda-push with max 1', () => {
    const sync = resourceAt(json(), 'google_cloud_run_v2_service', 'drchrono-sync/service');
    expect(sync.template.scaling.min_instance_count).toBe(1);
    expect(sync.template.containers[0].resources.cpu_idle).toBe(false);
    const push = resourceAt(json(), 'google_cloud_run_v2_service', 'coda-push/service');
    expect(push.template.scaling.max_instance_count).toBe(1);
  });

  it('gives each service its own account, private ingress, Direct VPC egress and secrets by reference', () => {
    for (const svc of resources(json(), 'google_cloud_run_v2_service')) {
      expect(svc.template.service_account).toMatch(/google_service_account\.[\w-]+\.email/);
      expect(['INGRESS_TRAFFIC_INTERNAL_ONLY', 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER']).toContain(svc.ingress);
      expect(svc.template.vpc_access.egress).toBe('PRIVATE_RANGES_ONLY');
      const env = svc.template.containers[0].env as Array<{ name: string; value?: string; value_source?: unknown }>;
      for (const e of env.filter((x) => /SECRET|TOKEN$|KEY$|CLIENT_ID/.test(x.name))) {
        expect(e.value, e.name).toBeUndefined();
        expect(e.value_source, e.name).toBeDefined();
      }
      expect(env.find((e) => e.name === 'SERVICE')?.value).toBe(svc.name);
    }
    expect(resourceAt(json(), 'google_cloud_run_v2_service', 'coda-push/service').ingress).toBe(
      'INGRESS_TRAFFIC_INTERNAL_ONLY',
    );
  });

  it('exports traces to Cloud Trace: both services set OTEL_TRACES_EXPORTER=gcp; only their accounts may write spans', () => {
    const services = resources(json(), 'google_cloud_run_v2_service');
    expect(services.map((s) => s.name).sort()).toEqual(['coda-push', 'drchrono-sync']);
    const accounts: string[] = [];
    for (const svc of services) {
      const env = svc.template.containers[0].env as Array<{ name: string; value?: string }>;
      expect(env.find((e) => e.name === 'OTEL_TRACES_EXPORTER')?.value, svc.name).toBe('gcp');
      accounts.push(`serviceAccount:${svc.template.service_account}`);
    }
    const trace = Object.entries(json().resource ?? {})
      .filter(([type]) => type.endsWith('_iam_member') || type.endsWith('_iam_binding'))
      .flatMap(([type, rs]) =>
        Object.values(rs).map((r): { type: string; role?: unknown; member?: unknown } => ({ ...r, type })),
      )
      .filter((r) => String(r.role).startsWith('roles/cloudtrace.'));
    // Write-only (agent: cloudtrace.traces.patch), never user/admin, and for exactly the two runtime accounts.
    expect(trace.map((r) => r.role)).toEqual(['roles/cloudtrace.agent', 'roles/cloudtrace.agent']);
    expect(trace.map((r) => r.type)).toEqual(['google_project_iam_member', 'google_project_iam_member']);
    expect(trace.map((r) => String(r.member)).sort()).toEqual(accounts.sort());
  });

  it('exposes only /webhooks/* and /health without IAP, behind Cloud Armor and TLS 1.2+', () => {
    const map = resourceAt(json(), 'google_compute_url_map', 'ingress/url-map');
    expect(map.default_service).toMatch(/staff/);
    expect(map.path_matcher[0].path_rule).toEqual([
      { paths: ['/webhooks/*', '/health'], service: expect.stringMatching(/webhooks/) },
    ]);
    expect(resourceAt(json(), 'google_compute_backend_service', 'ingress/staff').iap.enabled).toBe(true);
    for (const b of resources(json(), 'google_compute_backend_service'))
      expect(b.security_policy).toMatch(/security_policy/);
    const armor = resources(json(), 'google_compute_security_policy')[0]!;
    expect(armor.rule[0]).toMatchObject({ action: 'throttle', rate_limit_options: { exceed_action: 'deny(429)' } });
    expect(resources(json(), 'google_compute_ssl_policy')[0]).toMatchObject({ min_tls_version: 'TLS_1_2' });
    expect(resources(json(), 'google_compute_target_http_proxy')).toEqual([]);
  });

  it('sets every required org policy and Data Access audit logs for all services', () => {
    const names = resources(json(), 'google_org_policy_policy').map((p) => p.name.split('/').pop());
    expect(names.sort()).toEqual([...REQUIRED_ORG_POLICIES].sort());
    const audit = resources(json(), 'google_project_iam_audit_config');
    expect(audit).toEqual([
      expect.objectContaining({
        service: 'allServices',
        audit_log_config: [{ log_type: 'ADMIN_READ' }, { log_type: 'DATA_READ' }, { log_type: 'DATA_WRITE' }],
      }),
    ]);
  });

  it('archives logs to a private bucket with 7-year retention, written by the sink identity only', () => {
    const bucket = resourceAt(json(), 'google_storage_bucket', 'audit-archive/bucket');
    expect(bucket.retention_policy.retention_period).toBe(220752000);
    expect(bucket).toMatchObject({ uniform_bucket_level_access: true, public_access_prevention: 'enforced' });
    const writer = resourceAt(json(), 'google_storage_bucket_iam_member', 'audit-archive/sink-writer');
    expect(writer.role).toBe('roles/storage.objectCreator');
    expect(writer.member).toMatch(/writer_identity\}$/);
  });

  it('federates GitHub without keys: provider pinned to the repository', () => {
    const provider = resources(json(), 'google_iam_workload_identity_pool_provider')[0]!;
    expect(provider.attribute_condition).toBe('assertion.repository == "feel-august/platform"');
    expect(provider.oidc.issuer_uri).toBe('https://token.actions.githubusercontent.com');
    const bindings = resources(json(), 'google_service_account_iam_member').filter(
      (m) => m.role === 'roles/iam.workloadIdentityUser',
    );
    expect(bindings.map((b) => b.member.replace(/\$\{[^}]+\}/, 'POOL')).sort()).toEqual([
      `principalSet://iam.googleapis.com/POOL/attribute.environment/${name}`,
      'principalSet://iam.googleapis.com/POOL/attribute.repository/feel-august/platform',
    ]);
  });

  it('alerts on DLQ depth, sync failures, webhook latency and 5xx, with an uptime check', () => {
    const alerts = resources(json(), 'google_monitoring_alert_policy');
    const filters = alerts.map((a) => a.conditions[0].condition_threshold.filter as string);
    const dlq = alerts.find((a) => a.display_name === 'Change events dead-lettered')!;
    expect(dlq.conditions[0].condition_threshold).toMatchObject({ comparison: 'COMPARISON_GT', threshold_value: 0 });
    expect(filters.some((f) => f.includes('num_undelivered_messages') && /dlq-subscription_\w+\.name/.test(f))).toBe(
      true,
    );
    expect(filters.some((f) => f.includes('logging.googleapis.com/user/'))).toBe(true);
    expect(filters.some((f) => f.includes('total_latencies'))).toBe(true);
    expect(filters.some((f) => f.includes('response_code_class = 500'))).toBe(true);
    expect(resources(json(), 'google_monitoring_uptime_check_config')[0]!.http_check.path).toBe('/health');
  });

  it('alerts when a critical lab result stays unreviewed: a log-based metric on the overdue event, no PHI fields', () => {
    const metric = resources(json(), 'google_logging_metric').find((m) => m.name === 'lab_critical_review_overdue')!;
    expect(metric.filter).toBe(
      `resource.type="cloud_run_revision" AND severity>=ERROR AND jsonPayload.event="${LOG_EVENTS.labCriticalReviewOverdue}"`,
    );
    expect(metric.metric_descriptor).toMatchObject({ metric_kind: 'DELTA', value_type: 'INT64' });
    const alert = resources(json(), 'google_monitoring_alert_policy').find(
      (a) => a.display_name === 'Critical lab result not reviewed in time',
    )!;
    expect(alert.conditions[0].condition_threshold).toMatchObject({ comparison: 'COMPARISON_GT', threshold_value: 0 });
    expect(alert.conditions[0].condition_threshold.filter).toContain('logging.googleapis.com/user/');
    expect(alert.documentation.content).toMatch(/lab-critical-review\.md$/);
  });
});

describe('environment-specific defaults', () => {
  it('prod Cloud SQL is REGIONAL; staging is ZONAL and smaller', () => {
    expect(resources(stacks.prod!, 'google_sql_database_instance')[0]!.settings.availability_type).toBe('REGIONAL');
    expect(resources(stacks.staging!, 'google_sql_database_instance')[0]!.settings.availability_type).toBe('ZONAL');
  });

  it('locks the audit bucket retention in prod only (locking is irreversible)', () => {
    expect(resourceAt(stacks.prod!, 'google_storage_bucket', 'audit-archive/bucket').retention_policy.is_locked).toBe(
      true,
    );
    expect(
      resourceAt(stacks.staging!, 'google_storage_bucket', 'audit-archive/bucket').retention_policy.is_locked,
    ).toBe(false);
  });

  it('staging lives in its own project and network with no peering and no reference to prod', () => {
    // One reference only: prod may connect to staging's database over PSC (the anonymize job's narrow path);
    // nothing in staging can reach prod.
    const sql = resources(stacks.staging!, 'google_sql_database_instance')[0]!;
    expect(sql.settings.ip_configuration.psc_config[0].allowed_consumer_projects).toEqual([
      'feel-august-platform-staging',
      'feel-august-platform-prod',
    ]);
    const staging = JSON.stringify(stacks.staging!.resource).replace(
      /"allowed_consumer_projects":\["feel-august-platform-staging","feel-august-platform-prod"\]/,
      '',
    );
    expect(staging).not.toContain('feel-august-platform-prod');
    expect(resources(stacks.staging!, 'google_compute_network_peering')).toEqual([]);
    expect(resources(stacks.staging!, 'google_compute_subnetwork')[0]!.ip_cidr_range).not.toBe(
      resources(stacks.prod!, 'google_compute_subnetwork')[0]!.ip_cidr_range,
    );
  });
});
