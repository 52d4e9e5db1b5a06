import { at, isFalse, isSet, isTrue, list, type Attributes } from './attributes.js';
import { LOG_METRIC_LABEL_FIELDS } from '../log-metrics.js';

/** One synth-time check on one Terraform resource type (or a set of them). */
export interface ResourceRule {
  /** Stable id printed in every finding (`HIPAA-SQL-1`). */
  readonly id: string;
  /** Terraform resource types checked; a `*` suffix matches a prefix/suffix family (`*_iam_member`). */
  readonly appliesTo: readonly string[];
  /** What the rule requires, in one sentence. */
  readonly description: string;
  /** How to fix a finding. */
  readonly fix: string;
  /** HIPAA Security Rule citation. */
  readonly safeguard: string;
  /** Returns the problem, or undefined when the resource complies. */
  check(attrs: Attributes, type: string): string | undefined;
}

/** Rules over a whole stack (presence of controls rather than properties of one resource). */
export interface StackRule {
  readonly id: string;
  readonly description: string;
  readonly fix: string;
  readonly safeguard: string;
  /** `resources` maps Terraform type → list of attribute objects. */
  check(resources: ReadonlyMap<string, readonly Attributes[]>): string | undefined;
}

const PUBLIC_MEMBERS = ['allUsers', 'allAuthenticatedUsers'];
const PRIMITIVE_ROLES = ['roles/owner', 'roles/editor'];
const SECRET_NAME = /(SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE_KEY|API_KEY|_KEY)$/;

/** Organisation policies every PHI-holding project must set (DESIGN §8). */
export const REQUIRED_ORG_POLICIES = [
  'iam.disableServiceAccountKeyCreation',
  'iam.disableServiceAccountKeyUpload',
  'sql.restrictPublicIp',
  'sql.restrictAuthorizedNetworks',
  'compute.vmExternalIpAccess',
  'compute.skipDefaultNetworkCreation',
  'storage.uniformBucketLevelAccess',
  'storage.publicAccessPrevention',
  'gcp.resourceLocations',
  'iam.allowedPolicyMemberDomains',
  'run.allowedIngress',
] as const;

function flags(attrs: Attributes): Map<string, string> {
  const result = new Map<string, string>();
  for (const flag of list(attrs, 'settings.database_flags')) {
    const name = at(flag, 'name');
    if (typeof name === 'string') result.set(name, String(at(flag, 'value')));
  }
  return result;
}

/** The containers of a Cloud Run job that run `platform anonymize` (it reads prod PHI). */
function anonymizeContainers(job: Attributes): unknown[] {
  return list(job, 'template.template.containers').filter((container) =>
    [...list(container, 'command'), ...list(container, 'args')].map(String).includes('anonymize'),
  );
}

function members(attrs: Attributes): string[] {
  const found: string[] = [];
  const member = attrs['member'];
  if (typeof member === 'string') found.push(member);
  const many = attrs['members'];
  if (Array.isArray(many)) found.push(...many.filter((m): m is string => typeof m === 'string'));
  const policy = attrs['policy_data'];
  if (typeof policy === 'string') found.push(...PUBLIC_MEMBERS.filter((p) => policy.includes(p)));
  return found;
}

export const RESOURCE_RULES: readonly ResourceRule[] = [
  // ── Cloud SQL ─────────────────────────────────────────────────────────────────────────────────────────────
  {
    id: 'HIPAA-SQL-1',
    appliesTo: ['google_sql_database_instance'],
    description: 'Cloud SQL has no public IPv4 address.',
    fix: 'Set settings.ip_configuration.ipv4_enabled = false and connect over Private Service Connect.',
    safeguard: '164.312(e)(1)',
    check: (a) =>
      isFalse(at(a, 'settings.ip_configuration.ipv4_enabled'))
        ? undefined
        : 'public IPv4 is enabled (ipv4_enabled is not false; the provider default is true)',
  },
  {
    id: 'HIPAA-SQL-2',
    appliesTo: ['google_sql_database_instance'],
    description: 'Cloud SQL has no authorized networks.',
    fix: 'Remove settings.ip_configuration.authorized_networks; clients connect through the private endpoint.',
    safeguard: '164.312(e)(1)',
    check: (a) =>
      list(a, 'settings.ip_configuration.authorized_networks').length > 0
        ? 'authorized_networks is not empty'
        : undefined,
  },
  {
    id: 'HIPAA-SQL-3',
    appliesTo: ['google_sql_database_instance'],
    description: 'Cloud SQL accepts encrypted connections only.',
    fix: 'Set settings.ip_configuration.ssl_mode = "ENCRYPTED_ONLY" (require_ssl no longer exists).',
    safeguard: '164.312(e)(2)(ii)',
    check: (a) => {
      const mode = at(a, 'settings.ip_configuration.ssl_mode');
      return mode === 'ENCRYPTED_ONLY' || mode === 'TRUSTED_CLIENT_CERTIFICATE_REQUIRED'
        ? undefined
        : `ssl_mode is ${JSON.stringify(mode ?? null)}`;
    },
  },
  {
    id: 'HIPAA-SQL-4',
    appliesTo: ['google_sql_database_instance'],
    description: 'Cloud SQL has automated backups and point-in-time recovery.',
    fix: 'Set settings.backup_configuration.enabled = true and point_in_time_recovery_enabled = true.',
    safeguard: '164.308(a)(7)(ii)(A)',
    check: (a) =>
      isTrue(at(a, 'settings.backup_configuration.enabled')) &&
      isTrue(at(a, 'settings.backup_configuration.point_in_time_recovery_enabled'))
        ? undefined
        : 'backups or point-in-time recovery are off',
  },
  {
    id: 'HIPAA-SQL-5',
    appliesTo: ['google_sql_database_instance'],
    description:
      'Cloud SQL is protected from deletion in Terraform and in the API, except a point-in-time clone (a disposable copy of a protected instance, deleted by the deploy that drops it).',
    fix: 'Keep deletion_protection = true and set settings.deletion_protection_enabled = true.',
    safeguard: '164.312(c)(1)',
    check: (a) =>
      isSet(at(a, 'clone.source_instance_name')) ||
      (!isFalse(a['deletion_protection']) && isTrue(at(a, 'settings.deletion_protection_enabled')))
        ? undefined
        : 'deletion_protection is false or settings.deletion_protection_enabled is not true',
  },
  {
    id: 'HIPAA-SQL-6',
    appliesTo: ['google_sql_database_instance'],
    description: 'Cloud SQL data is encrypted with a customer-managed key.',
    fix: 'Set encryption_key_name to the SQL CMEK key (HipaaProject.keys.keyId("sql")).',
    safeguard: '164.312(a)(2)(iv)',
    check: (a) => (isSet(a['encryption_key_name']) ? undefined : 'encryption_key_name is not set'),
  },
  {
    id: 'HIPAA-SQL-7',
    appliesTo: ['google_sql_database_instance'],
    description: 'Cloud SQL has pgaudit and IAM authentication on and never logs statement text or parameters.',
    fix:
      'Set flags cloudsql.enable_pgaudit=on and cloudsql.iam_authentication=on; remove log_min_duration_statement, ' +
      'log_statement=all/mod and pgaudit.log_parameter (use Query Insights for slow queries).',
    safeguard: '164.312(b)',
    check: (a) => {
      const f = flags(a);
      const problems: string[] = [];
      if (f.get('cloudsql.enable_pgaudit') !== 'on') problems.push('cloudsql.enable_pgaudit is not on');
      if (f.get('cloudsql.iam_authentication') !== 'on') problems.push('cloudsql.iam_authentication is not on');
      const duration = f.get('log_min_duration_statement');
      if (duration !== undefined && duration !== '-1')
        problems.push(`log_min_duration_statement=${duration} logs statement text (PHI)`);
      const statement = f.get('log_statement');
      if (statement === 'all' || statement === 'mod')
        problems.push(`log_statement=${statement} logs statement text (PHI)`);
      if (f.get('pgaudit.log_parameter') === 'on')
        problems.push('pgaudit.log_parameter=on logs parameter values (PHI)');
      return problems.length ? problems.join('; ') : undefined;
    },
  },
  {
    id: 'HIPAA-SQL-8',
    appliesTo: ['google_sql_database_instance'],
    description: 'Query Insights does not record client addresses.',
    fix: 'Set settings.insights_config.record_client_address = false.',
    safeguard: '164.312(b)',
    check: (a) =>
      isTrue(at(a, 'settings.insights_config.query_insights_enabled')) &&
      !isFalse(at(a, 'settings.insights_config.record_client_address'))
        ? 'insights_config.record_client_address is not false'
        : undefined,
  },
  // ── IAM ───────────────────────────────────────────────────────────────────────────────────────────────────
  {
    id: 'HIPAA-IAM-1',
    appliesTo: ['*_iam_member', '*_iam_binding', '*_iam_policy'],
    description: 'No IAM grant to allUsers or allAuthenticatedUsers.',
    fix:
      'Grant a named identity instead. The only public path is the webhook load balancer, which needs no IAM ' +
      'grant (CloudRunService.allowUnauthenticatedFromLoadBalancer).',
    safeguard: '164.312(a)(1)',
    check: (a) => {
      const bad = members(a).filter((m) => PUBLIC_MEMBERS.includes(m));
      return bad.length ? `grants to ${bad.join(', ')}` : undefined;
    },
  },
  {
    id: 'HIPAA-IAM-2',
    appliesTo: ['google_service_account_key'],
    description: 'No service-account keys.',
    fix: 'Delete the key; use Workload Identity Federation (CiIdentity) or the runtime service account.',
    safeguard: '164.312(d)',
    check: () => 'service-account keys are long-lived credentials',
  },
  {
    id: 'HIPAA-IAM-3',
    appliesTo: ['*_iam_member', '*_iam_binding'],
    description: 'No primitive owner/editor roles.',
    fix: 'Grant the narrow predefined role on the one resource that needs it (grantXxx methods).',
    safeguard: '164.308(a)(4)',
    check: (a) => (PRIMITIVE_ROLES.includes(String(a['role'])) ? `role ${String(a['role'])} is primitive` : undefined),
  },
  {
    id: 'HIPAA-IAM-4',
    appliesTo: ['google_iam_workload_identity_pool_provider'],
    description: 'Workload identity providers restrict which external identities may federate.',
    fix: 'Set attribute_condition, e.g. assertion.repository == "owner/name".',
    safeguard: '164.312(d)',
    check: (a) =>
      isSet(a['attribute_condition'])
        ? undefined
        : 'attribute_condition is empty: any GitHub repository could federate',
  },
  // ── Cloud Storage ─────────────────────────────────────────────────────────────────────────────────────────
  {
    id: 'HIPAA-GCS-1',
    appliesTo: ['google_storage_bucket'],
    description: 'Buckets use uniform bucket-level access (no object ACLs).',
    fix: 'Set uniform_bucket_level_access = true.',
    safeguard: '164.312(a)(1)',
    check: (a) => (isTrue(a['uniform_bucket_level_access']) ? undefined : 'uniform_bucket_level_access is not true'),
  },
  {
    id: 'HIPAA-GCS-2',
    appliesTo: ['google_storage_bucket'],
    description: 'Buckets enforce public access prevention.',
    fix: 'Set public_access_prevention = "enforced".',
    safeguard: '164.312(a)(1)',
    check: (a) =>
      a['public_access_prevention'] === 'enforced' ? undefined : 'public_access_prevention is not "enforced"',
  },
  {
    id: 'HIPAA-GCS-3',
    appliesTo: ['google_storage_bucket'],
    description: 'Buckets are encrypted with a customer-managed key.',
    fix: 'Set encryption.default_kms_key_name (HipaaProject.keys.keyId("storage")).',
    safeguard: '164.312(a)(2)(iv)',
    check: (a) =>
      isSet(at(a, 'encryption.default_kms_key_name')) ? undefined : 'encryption.default_kms_key_name is not set',
  },
  {
    id: 'HIPAA-GCS-4',
    appliesTo: [
      'google_storage_bucket_acl',
      'google_storage_bucket_access_control',
      'google_storage_object_acl',
      'google_storage_object_access_control',
      'google_storage_default_object_acl',
      'google_storage_default_object_access_control',
    ],
    description: 'No legacy ACLs on buckets or objects.',
    fix: 'Use bucket IAM members (uniform access) instead of ACL resources.',
    safeguard: '164.312(a)(1)',
    check: () => 'ACLs bypass uniform bucket-level access',
  },
  {
    id: 'HIPAA-GCS-5',
    appliesTo: ['google_storage_bucket'],
    description: 'Audit buckets (label data-class=audit) retain objects for at least 6 years.',
    fix: 'Set retention_policy.retention_period ≥ 189216000 (AuditArchive uses 220752000, 7 years).',
    safeguard: '164.316(b)(2)(i)',
    check: (a) => {
      if (at(a, 'labels.data-class') !== 'audit') return undefined;
      const period = Number(at(a, 'retention_policy.retention_period'));
      return period >= 189_216_000 ? undefined : `retention_period is ${Number.isNaN(period) ? 'unset' : period}`;
    },
  },
  // ── Pub/Sub ───────────────────────────────────────────────────────────────────────────────────────────────
  {
    id: 'HIPAA-PS-1',
    appliesTo: ['google_pubsub_topic'],
    description: 'Every topic is encrypted with a customer-managed key.',
    fix: 'Set kms_key_name (HipaaProject.keys.keyId("pubsub")).',
    safeguard: '164.312(a)(2)(iv)',
    check: (a) => (isSet(a['kms_key_name']) ? undefined : 'kms_key_name is not set'),
  },
  {
    id: 'HIPAA-PS-2',
    appliesTo: ['google_pubsub_subscription'],
    description: 'Push subscriptions send an OIDC token to an HTTPS endpoint.',
    fix: 'Set push_config.oidc_token { service_account_email, audience } and an https:// push_endpoint.',
    safeguard: '164.312(d)',
    check: (a) => {
      const endpoint = at(a, 'push_config.push_endpoint');
      if (endpoint === undefined) return undefined;
      if (!isSet(at(a, 'push_config.oidc_token.service_account_email'))) return 'push_config has no oidc_token';
      if (typeof endpoint === 'string' && !endpoint.startsWith('https://') && !endpoint.startsWith('${')) {
        return `push_endpoint ${endpoint} is not https`;
      }
      return undefined;
    },
  },
  {
    id: 'HIPAA-PS-3',
    appliesTo: ['google_pubsub_subscription'],
    description: 'Push subscriptions dead-letter after a bounded number of attempts and back off between retries.',
    fix: 'Set dead_letter_policy { dead_letter_topic, max_delivery_attempts } and retry_policy (ChangeEvents does).',
    safeguard: '164.312(c)(1)',
    check: (a) => {
      if (at(a, 'push_config.push_endpoint') === undefined) return undefined;
      if (!isSet(at(a, 'dead_letter_policy.dead_letter_topic'))) return 'no dead_letter_policy';
      if (!isSet(at(a, 'retry_policy.minimum_backoff'))) return 'no retry_policy';
      return undefined;
    },
  },
  // ── Cloud Run ─────────────────────────────────────────────────────────────────────────────────────────────
  {
    id: 'HIPAA-RUN-1',
    appliesTo: ['google_cloud_run_v2_service'],
    description: 'Cloud Run services accept only internal and load-balancer traffic.',
    fix: 'Set ingress to INGRESS_TRAFFIC_INTERNAL_ONLY or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER (default is ALL).',
    safeguard: '164.312(e)(1)',
    check: (a) => {
      const ingress = a['ingress'];
      return ingress === 'INGRESS_TRAFFIC_INTERNAL_ONLY' || ingress === 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER'
        ? undefined
        : `ingress is ${JSON.stringify(ingress ?? 'INGRESS_TRAFFIC_ALL (default)')}`;
    },
  },
  {
    id: 'HIPAA-RUN-2',
    appliesTo: ['google_cloud_run_v2_service'],
    description: 'Cloud Run revisions are encrypted with a customer-managed key.',
    fix: 'Set template.encryption_key (HipaaProject.keys.keyId("run")).',
    safeguard: '164.312(a)(2)(iv)',
    check: (a) => (isSet(at(a, 'template.encryption_key')) ? undefined : 'template.encryption_key is not set'),
  },
  {
    id: 'HIPAA-RUN-3',
    appliesTo: ['google_cloud_run_v2_service'],
    description:
      'Cloud Run keeps its IAM invoker check, except on the documented webhook ingress behind the load balancer.',
    fix:
      'Remove invoker_iam_disabled, or — for the webhook service only — use ingress INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER ' +
      'and record the exception with suppressRule(service, "HIPAA-RUN-3", reason).',
    safeguard: '164.312(d)',
    check: (a) => {
      if (!isTrue(a['invoker_iam_disabled'])) return undefined;
      if (a['ingress'] !== 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER') {
        return 'invoker_iam_disabled with ingress other than INTERNAL_LOAD_BALANCER makes the service public';
      }
      return 'invoker_iam_disabled = true (unauthenticated calls through the load balancer)';
    },
  },
  {
    id: 'HIPAA-RUN-4',
    appliesTo: ['google_cloud_run_v2_service'],
    description: 'Secret-looking environment variables come from Secret Manager, never literal values.',
    fix: 'Move the variable to value_source.secret_key_ref (CloudRunService secretEnv).',
    safeguard: '164.312(a)(2)(iv)',
    check: (a) => {
      const bad: string[] = [];
      for (const container of list(a, 'template.containers')) {
        for (const env of list(container, 'env')) {
          const name = String(at(env, 'name'));
          if (SECRET_NAME.test(name) && isSet(at(env, 'value'))) bad.push(name);
        }
      }
      return bad.length ? `literal values for ${bad.join(', ')}` : undefined;
    },
  },
  {
    id: 'HIPAA-RUN-5',
    appliesTo: ['google_cloud_run_v2_service'],
    description: 'Each Cloud Run service runs as its own service account.',
    fix: 'Set template.service_account to a dedicated account (CloudRunService creates one).',
    safeguard: '164.312(a)(1)',
    check: (a) =>
      isSet(at(a, 'template.service_account'))
        ? undefined
        : 'no template.service_account (would run as the default compute account)',
  },
  {
    id: 'HIPAA-RUN-6',
    appliesTo: ['google_cloud_run_v2_job'],
    description:
      'A job that runs `platform anonymize` (it reads prod PHI) logs in to both databases with Cloud SQL IAM, carries no password in a URL, and takes its pseudonym key from Secret Manager.',
    fix: 'Set ANONYMIZE_SOURCE_AUTH and ANONYMIZE_TARGET_AUTH to cloudsql-iam, drop passwords from the URLs, and mount ANONYMIZE_KEY with value_source.secret_key_ref (AnonymizeJob).',
    safeguard: '164.312(d)',
    check: (a) => {
      for (const container of anonymizeContainers(a)) {
        const env = new Map(list(container, 'env').map((e) => [String(at(e, 'name')), e]));
        const value = (name: string) => at(env.get(name), 'value');
        const problems: string[] = [];
        for (const auth of ['ANONYMIZE_SOURCE_AUTH', 'ANONYMIZE_TARGET_AUTH'])
          if (value(auth) !== 'cloudsql-iam') problems.push(`${auth} is ${JSON.stringify(value(auth) ?? 'unset')}`);
        for (const url of ['ANONYMIZE_SOURCE_URL', 'ANONYMIZE_TARGET_URL'])
          if (/^postgres(ql)?:\/\/[^/@]*:[^/@]*@/.test(String(value(url) ?? '')))
            problems.push(`${url} has a password`);
        if (!isSet(at(env.get('ANONYMIZE_KEY'), 'value_source.secret_key_ref.secret')))
          problems.push('ANONYMIZE_KEY is not mounted from Secret Manager');
        if (problems.length) return problems.join('; ');
      }
      return undefined;
    },
  },
  // ── Secret Manager ────────────────────────────────────────────────────────────────────────────────────────
  {
    id: 'HIPAA-SM-1',
    appliesTo: ['google_secret_manager_secret_version'],
    description: 'No secret values in Terraform configuration or state.',
    fix: 'Delete the version resource; add values with `gcloud secrets versions add` out of band.',
    safeguard: '164.312(a)(2)(iv)',
    check: (a) =>
      isSet(a['secret_data']) || isSet(a['secret_data_wo']) ? 'secret_data puts the value into state' : undefined,
  },
  {
    id: 'HIPAA-SM-2',
    appliesTo: ['google_secret_manager_secret'],
    description: 'Secrets replicate only to chosen regions, encrypted with a customer-managed key.',
    fix: 'Use replication.user_managed.replicas with customer_managed_encryption.kms_key_name.',
    safeguard: '164.312(a)(2)(iv)',
    check: (a) => {
      const replicas = list(a, 'replication.user_managed.replicas');
      if (replicas.length === 0) return 'replication is automatic (global, Google-managed key)';
      return replicas.every((r) => isSet(at(r, 'customer_managed_encryption.kms_key_name')))
        ? undefined
        : 'a replica has no customer_managed_encryption';
    },
  },
  // ── Scheduler ─────────────────────────────────────────────────────────────────────────────────────────────
  {
    id: 'HIPAA-SCH-1',
    appliesTo: ['google_cloud_scheduler_job'],
    description: 'Scheduler HTTP jobs authenticate with an OIDC token over HTTPS, minted for the service they call.',
    fix: 'Set http_target.oidc_token { service_account_email, audience = the target service URL } and an https:// uri under it.',
    safeguard: '164.312(d)',
    check: (a) => {
      if (at(a, 'http_target') === undefined) return undefined;
      if (!isSet(at(a, 'http_target.oidc_token.service_account_email'))) return 'http_target has no oidc_token';
      const uri = at(a, 'http_target.uri');
      if (typeof uri !== 'string' || !uri.startsWith('https://')) return `uri ${String(uri)} is not https`;
      // Each service accepts only tokens for its own URL: a job aimed at one service with another's audience fails
      // every run, quietly.
      const audience = at(a, 'http_target.oidc_token.audience');
      const base = typeof audience === 'string' ? audience.replace(/\/$/, '') : undefined;
      return base && (uri === base || uri.startsWith(`${base}/`))
        ? undefined
        : `oidc_token.audience ${String(audience)} is not the base URL of uri ${uri}`;
    },
  },
  // ── KMS ───────────────────────────────────────────────────────────────────────────────────────────────────
  {
    id: 'HIPAA-KMS-1',
    appliesTo: ['google_kms_crypto_key'],
    description: 'Encryption keys rotate at least yearly.',
    fix: 'Set rotation_period, e.g. "7776000s" (90 days).',
    safeguard: '164.312(a)(2)(iv)',
    check: (a) => {
      const period = a['rotation_period'];
      const seconds = typeof period === 'string' ? Number(period.replace(/s$/, '')) : NaN;
      return seconds > 0 && seconds <= 31_536_000 ? undefined : `rotation_period is ${JSON.stringify(period ?? null)}`;
    },
  },
  // ── Network and load balancing ────────────────────────────────────────────────────────────────────────────
  {
    id: 'HIPAA-NET-1',
    appliesTo: ['google_compute_network'],
    description: 'VPCs are custom-mode (no auto-created subnets in every region).',
    fix: 'Set auto_create_subnetworks = false and create the one private subnet explicitly.',
    safeguard: '164.312(e)(1)',
    check: (a) => (isFalse(a['auto_create_subnetworks']) ? undefined : 'auto_create_subnetworks is not false'),
  },
  {
    id: 'HIPAA-NET-2',
    appliesTo: ['google_compute_subnetwork'],
    description: 'Subnets use Private Google Access and keep flow logs.',
    fix: 'Set private_ip_google_access = true and a log_config block.',
    safeguard: '164.312(b)',
    check: (a) =>
      isTrue(a['private_ip_google_access']) && at(a, 'log_config') !== undefined
        ? undefined
        : 'private_ip_google_access is off or log_config is missing',
  },
  {
    id: 'HIPAA-NET-3',
    appliesTo: ['google_compute_firewall'],
    description: 'No firewall rule admits traffic from the whole internet.',
    fix: 'Narrow source_ranges; public traffic enters only through the HTTPS load balancer.',
    safeguard: '164.312(e)(1)',
    check: (a) =>
      a['direction'] !== 'EGRESS' && list(a, 'source_ranges').includes('0.0.0.0/0')
        ? 'source_ranges includes 0.0.0.0/0'
        : undefined,
  },
  {
    id: 'HIPAA-LB-1',
    appliesTo: ['google_compute_backend_service'],
    description: 'Internet-facing backends are protected by a Cloud Armor policy.',
    fix: 'Set security_policy (WebhookIngress creates a rate-limiting policy).',
    safeguard: '164.308(a)(1)(ii)(B)',
    check: (a) => (isSet(a['security_policy']) ? undefined : 'no security_policy'),
  },
  {
    id: 'HIPAA-LB-2',
    appliesTo: ['google_compute_target_https_proxy', 'google_compute_ssl_policy'],
    description: 'HTTPS load balancers negotiate TLS 1.2 or newer only.',
    fix: 'Attach an ssl_policy with min_tls_version = "TLS_1_2" and profile MODERN or RESTRICTED.',
    safeguard: '164.312(e)(2)(ii)',
    check: (a, type) => {
      if (type === 'google_compute_target_https_proxy') return isSet(a['ssl_policy']) ? undefined : 'no ssl_policy';
      const tls = a['min_tls_version'];
      return tls === 'TLS_1_2' || tls === 'TLS_1_3'
        ? undefined
        : `min_tls_version is ${JSON.stringify(tls ?? 'TLS_1_0 (default)')}`;
    },
  },
  {
    id: 'HIPAA-LB-3',
    appliesTo: ['google_compute_target_http_proxy'],
    description: 'No plain-HTTP load balancer frontends.',
    fix: 'Serve HTTPS only (WebhookIngress); remove the HTTP proxy.',
    safeguard: '164.312(e)(1)',
    check: () => 'plain HTTP frontend',
  },
  // ── Logging and monitoring ────────────────────────────────────────────────────────────────────────────────
  {
    id: 'HIPAA-LOG-1',
    appliesTo: ['google_logging_metric'],
    description:
      'Log-based metric labels come only from allowlisted non-PHI fields (names, kinds, classes), never from ids or free text.',
    fix: `Extract labels with EXTRACT(jsonPayload.<field>) for a field in LOG_METRIC_LABEL_FIELDS (${LOG_METRIC_LABEL_FIELDS.join(', ')}) or a resource.labels.* field; drop any other label.`,
    safeguard: '164.502(b)',
    check: (a) => {
      const extractors = a['label_extractors'];
      if (extractors === undefined || extractors === null) return undefined;
      if (typeof extractors !== 'object') return 'label_extractors is not a map';
      const bad = Object.entries(extractors as Record<string, unknown>).filter(
        ([, expression]) => typeof expression !== 'string' || !allowedLabelSource(expression),
      );
      return bad.length
        ? `label(s) ${bad.map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ')} read a field outside the allowlist`
        : undefined;
    },
  },
];

export const STACK_RULES: readonly StackRule[] = [
  {
    id: 'HIPAA-RUN-7',
    description:
      'A job that runs `platform anonymize` may log in only to point-in-time clones: never to a live database (its Cloud SQL grants are conditioned on clone instances).',
    fix: "Grant the login with the clone's PostgresInstance.grantIamLogin and only addIamUser on the live instance (set anonymizeStaging.sourcePointInTime in stacks/environments.ts).",
    safeguard: '164.308(a)(4)(ii)(B)',
    check: (resources) => {
      const identities = new Set(
        (resources.get('google_cloud_run_v2_job') ?? [])
          .filter((job) => anonymizeContainers(job).length > 0)
          .map((job) => `serviceAccount:${String(at(job, 'template.template.service_account'))}`),
      );
      const clones = new Set(
        (resources.get('google_sql_database_instance') ?? [])
          .filter((i) => isSet(at(i, 'clone.source_instance_name')))
          .map((i) => String(i['name'])),
      );
      const problems = (resources.get('google_project_iam_member') ?? [])
        .filter((g) => identities.has(String(g['member'])) && String(g['role']).startsWith('roles/cloudsql.'))
        .flatMap((g) => {
          const instance = /\/instances\/([^"/]+)"/.exec(String(at(g, 'condition.expression') ?? ''))?.[1];
          if (instance !== undefined && clones.has(instance)) return [];
          return [`${String(g['role'])} on ${instance === undefined ? 'every instance' : `${instance} (not a clone)`}`];
        });
      return problems.length ? `the anonymize job can log in to a live database: ${problems.join('; ')}` : undefined;
    },
  },
  {
    id: 'HIPAA-AUD-1',
    description: 'A stack that stores PHI enables Data Access audit logs for all services.',
    fix: 'Add google_project_iam_audit_config for allServices with ADMIN_READ, DATA_READ, DATA_WRITE (HipaaProject).',
    safeguard: '164.312(b)',
    check: (resources) => {
      if (!resources.has('google_sql_database_instance')) return undefined;
      const configs = resources.get('google_project_iam_audit_config') ?? [];
      const ok = configs.some((c) => {
        const types = list(c, 'audit_log_config').map((l) => at(l, 'log_type'));
        return (
          c['service'] === 'allServices' && ['ADMIN_READ', 'DATA_READ', 'DATA_WRITE'].every((t) => types.includes(t))
        );
      });
      return ok ? undefined : 'no allServices audit config with ADMIN_READ, DATA_READ and DATA_WRITE';
    },
  },
  {
    id: 'HIPAA-ORG-1',
    description: 'A stack that stores PHI sets the organisation policies of DESIGN §8 on its project.',
    fix: 'Instantiate HipaaProject for the project (it sets every required constraint).',
    safeguard: '164.308(a)(1)',
    check: (resources) => {
      if (!resources.has('google_sql_database_instance')) return undefined;
      const names = (resources.get('google_org_policy_policy') ?? []).map((p) => String(p['name']));
      const missing = REQUIRED_ORG_POLICIES.filter((c) => !names.some((n) => n.endsWith(`/policies/${c}`)));
      return missing.length ? `missing org policies: ${missing.join(', ')}` : undefined;
    },
  },
  {
    id: 'HIPAA-MON-1',
    description:
      'Every SLO has multi-window burn-rate alerting: a policy that ANDs select_slo_burn_rate over a long and a short window, with a notification channel.',
    fix: 'Create the SLO with ServiceLevelObjectives (constructs/slos.ts): it adds the SRE workbook burn-rate policies.',
    safeguard: '164.308(a)(1)(ii)(D)',
    check: (resources) => {
      const policies = resources.get('google_monitoring_alert_policy') ?? [];
      const missing = (resources.get('google_monitoring_slo') ?? []).filter((slo) => {
        const suffix = `/services/${String(slo['service'])}/serviceLevelObjectives/${String(slo['slo_id'])}`;
        return !policies.some((p) => {
          const windows = burnRateConditions(p)
            .filter(([name]) => name.endsWith(suffix))
            .map(([, seconds]) => seconds);
          return p['combiner'] === 'AND' && new Set(windows).size >= 2 && list(p, 'notification_channels').length > 0;
        });
      });
      return missing.length
        ? `no multi-window burn-rate alert for SLO(s) ${missing.map((s) => String(s['slo_id'])).join(', ')}`
        : undefined;
    },
  },
];

/** `EXTRACT(<field>)` or `REGEXP_EXTRACT(<field>, "<re>")` over an allowlisted jsonPayload field or a resource label. */
function allowedLabelSource(expression: string): boolean {
  const m = /^(?:EXTRACT\(([\w.]+)\)|REGEXP_EXTRACT\(([\w.]+),\s*"[^"]*"\))$/.exec(expression.trim());
  const field = m?.[1] ?? m?.[2];
  if (field === undefined) return false;
  if (/^resource\.labels\.[a-z_]+$/.test(field)) return true;
  const json = /^jsonPayload\.(\w+)$/.exec(field);
  return json !== null && (LOG_METRIC_LABEL_FIELDS as readonly string[]).includes(json[1]!);
}

/** `select_slo_burn_rate("<slo name>", "<n>s")` conditions of an alert policy, as [slo name, seconds]. */
function burnRateConditions(policy: Attributes): [string, number][] {
  return list(policy, 'conditions').flatMap((c) => {
    const filter = at(c, 'condition_threshold.filter');
    const m = typeof filter === 'string' ? /select_slo_burn_rate\("([^"]+)",\s*"(\d+)s"\)/.exec(filter) : null;
    return m ? [[m[1]!, Number(m[2])] as [string, number]] : [];
  });
}

/** Does a rule's `appliesTo` match this Terraform type? */
export function appliesTo(rule: ResourceRule, type: string): boolean {
  return rule.appliesTo.some((pattern) =>
    pattern.startsWith('*') ? type.endsWith(pattern.slice(1)) : pattern === type,
  );
}
