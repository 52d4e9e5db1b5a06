import { describe, expect, it } from 'vitest';
import type { Construct } from 'constructs';
import {
  SqlDatabaseInstance,
  type SqlDatabaseInstanceConfig,
} from '@cdktf/provider-google/lib/sql-database-instance/index.js';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member/index.js';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member/index.js';
import { ServiceAccountKey } from '@cdktf/provider-google/lib/service-account-key/index.js';
import { IamWorkloadIdentityPoolProvider } from '@cdktf/provider-google/lib/iam-workload-identity-pool-provider/index.js';
import { StorageBucket, type StorageBucketConfig } from '@cdktf/provider-google/lib/storage-bucket/index.js';
import { StorageBucketAcl } from '@cdktf/provider-google/lib/storage-bucket-acl/index.js';
import { PubsubTopic } from '@cdktf/provider-google/lib/pubsub-topic/index.js';
import { PubsubSubscription } from '@cdktf/provider-google/lib/pubsub-subscription/index.js';
import {
  CloudRunV2Service,
  type CloudRunV2ServiceConfig,
} from '@cdktf/provider-google/lib/cloud-run-v2-service/index.js';
import { CloudRunV2Job } from '@cdktf/provider-google/lib/cloud-run-v2-job/index.js';
import { SecretManagerSecret } from '@cdktf/provider-google/lib/secret-manager-secret/index.js';
import { SecretManagerSecretVersion } from '@cdktf/provider-google/lib/secret-manager-secret-version/index.js';
import { CloudSchedulerJob } from '@cdktf/provider-google/lib/cloud-scheduler-job/index.js';
import { KmsCryptoKey } from '@cdktf/provider-google/lib/kms-crypto-key/index.js';
import { ComputeNetwork } from '@cdktf/provider-google/lib/compute-network/index.js';
import { ComputeSubnetwork } from '@cdktf/provider-google/lib/compute-subnetwork/index.js';
import { ComputeFirewall } from '@cdktf/provider-google/lib/compute-firewall/index.js';
import { ComputeBackendService } from '@cdktf/provider-google/lib/compute-backend-service/index.js';
import { ComputeSslPolicy } from '@cdktf/provider-google/lib/compute-ssl-policy/index.js';
import { ComputeTargetHttpProxy } from '@cdktf/provider-google/lib/compute-target-http-proxy/index.js';
import { ProjectIamAuditConfig } from '@cdktf/provider-google/lib/project-iam-audit-config/index.js';
import { LoggingMetric } from '@cdktf/provider-google/lib/logging-metric/index.js';
import { MonitoringSlo } from '@cdktf/provider-google/lib/monitoring-slo/index.js';
import { MonitoringAlertPolicy } from '@cdktf/provider-google/lib/monitoring-alert-policy/index.js';
import { ServiceLevelObjectives } from '../../constructs/slos.js';
import { LogMetrics } from '../../constructs/log-metrics.js';
import { RESOURCE_RULES, STACK_RULES, suppressRule } from '../../constructs/policies/index.js';
import { PostgresInstance } from '../../constructs/postgres-instance.js';
import { HipaaProject } from '../../constructs/hipaa-project.js';
import { synthesizeAll } from '../../stacks/synth.js';
import { findingsFor } from './helpers.js';

const KEY = 'projects/p/locations/us-central1/keyRings/r/cryptoKeys/k';

function sql(scope: Construct, change: (c: SqlDatabaseInstanceConfig) => SqlDatabaseInstanceConfig): void {
  // Start from the PostgresInstance defaults (which pass) and break exactly one thing.
  const good: SqlDatabaseInstanceConfig = {
    name: 'db',
    region: 'us-central1',
    databaseVersion: 'POSTGRES_16',
    encryptionKeyName: KEY,
    deletionProtection: true,
    settings: {
      tier: 'db-custom-1-3840',
      edition: 'ENTERPRISE',
      deletionProtectionEnabled: true,
      ipConfiguration: { ipv4Enabled: false, sslMode: 'ENCRYPTED_ONLY' },
      backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true },
      databaseFlags: [
        { name: 'cloudsql.iam_authentication', value: 'on' },
        { name: 'cloudsql.enable_pgaudit', value: 'on' },
      ],
      insightsConfig: { queryInsightsEnabled: true, recordClientAddress: false },
    },
  };
  new SqlDatabaseInstance(scope, 'sql', change(good));
}

function bucket(scope: Construct, change: (c: StorageBucketConfig) => StorageBucketConfig): void {
  new StorageBucket(
    scope,
    'bucket',
    change({
      name: 'b',
      location: 'us-central1',
      uniformBucketLevelAccess: true,
      publicAccessPrevention: 'enforced',
      encryption: { defaultKmsKeyName: KEY },
    }),
  );
}

function run(scope: Construct, change: (c: CloudRunV2ServiceConfig) => CloudRunV2ServiceConfig): void {
  new CloudRunV2Service(
    scope,
    'run',
    change({
      name: 'svc',
      location: 'us-central1',
      ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
      template: { serviceAccount: 'sa@p.iam.gserviceaccount.com', encryptionKey: KEY, containers: [{ image: 'img' }] },
    }),
  );
}

const settings = (c: SqlDatabaseInstanceConfig) => c.settings!;

/** One construct per rule that violates exactly that rule. */
const BAD: Record<string, (scope: Construct) => void> = {
  'HIPAA-SQL-1': (s) =>
    sql(s, (c) => ({ ...c, settings: { ...settings(c), ipConfiguration: { sslMode: 'ENCRYPTED_ONLY' } } })),
  'HIPAA-SQL-2': (s) =>
    sql(s, (c) => ({
      ...c,
      settings: {
        ...settings(c),
        ipConfiguration: { ...settings(c).ipConfiguration, authorizedNetworks: [{ value: '203.0.113.0/24' }] },
      },
    })),
  'HIPAA-SQL-3': (s) =>
    sql(s, (c) => ({
      ...c,
      settings: { ...settings(c), ipConfiguration: { ipv4Enabled: false, sslMode: 'ALLOW_UNENCRYPTED_AND_ENCRYPTED' } },
    })),
  'HIPAA-SQL-4': (s) => sql(s, (c) => ({ ...c, settings: { ...settings(c), backupConfiguration: { enabled: true } } })),
  'HIPAA-SQL-5': (s) => sql(s, (c) => ({ ...c, deletionProtection: false })),
  'HIPAA-SQL-6': (s) => sql(s, (c) => ({ ...c, encryptionKeyName: undefined })),
  'HIPAA-SQL-7': (s) =>
    sql(s, (c) => ({
      ...c,
      settings: {
        ...settings(c),
        databaseFlags: [
          { name: 'cloudsql.iam_authentication', value: 'on' },
          { name: 'cloudsql.enable_pgaudit', value: 'on' },
          { name: 'log_min_duration_statement', value: '0' },
        ],
      },
    })),
  'HIPAA-SQL-8': (s) =>
    sql(s, (c) => ({
      ...c,
      settings: { ...settings(c), insightsConfig: { queryInsightsEnabled: true, recordClientAddress: true } },
    })),
  'HIPAA-IAM-1': (s) =>
    new StorageBucketIamMember(s, 'public', { bucket: 'b', role: 'roles/storage.objectViewer', member: 'allUsers' }),
  'HIPAA-IAM-2': (s) => new ServiceAccountKey(s, 'key', { serviceAccountId: 'sa@p.iam.gserviceaccount.com' }),
  'HIPAA-IAM-3': (s) =>
    new ProjectIamMember(s, 'editor', { project: 'p', role: 'roles/editor', member: 'user:a@example.com' }),
  'HIPAA-IAM-4': (s) =>
    new IamWorkloadIdentityPoolProvider(s, 'wif', {
      workloadIdentityPoolId: 'github',
      workloadIdentityPoolProviderId: 'gh',
      oidc: { issuerUri: 'https://token.actions.githubusercontent.com' },
    }),
  'HIPAA-GCS-1': (s) => bucket(s, (c) => ({ ...c, uniformBucketLevelAccess: false })),
  'HIPAA-GCS-2': (s) => bucket(s, (c) => ({ ...c, publicAccessPrevention: 'inherited' })),
  'HIPAA-GCS-3': (s) => bucket(s, (c) => ({ ...c, encryption: undefined })),
  'HIPAA-GCS-4': (s) => new StorageBucketAcl(s, 'acl', { bucket: 'b', predefinedAcl: 'publicRead' }),
  'HIPAA-GCS-5': (s) =>
    bucket(s, (c) => ({ ...c, labels: { 'data-class': 'audit' }, retentionPolicy: { retentionPeriod: 86_400 } })),
  'HIPAA-PS-1': (s) => new PubsubTopic(s, 'topic', { name: 't' }),
  'HIPAA-PS-2': (s) =>
    new PubsubSubscription(s, 'sub', {
      name: 's',
      topic: 't',
      pushConfig: { pushEndpoint: 'https://x.run.app/pubsub/push' },
      deadLetterPolicy: { deadLetterTopic: 'dlq', maxDeliveryAttempts: 5 },
      retryPolicy: { minimumBackoff: '10s' },
    }),
  'HIPAA-PS-3': (s) =>
    new PubsubSubscription(s, 'sub', {
      name: 's',
      topic: 't',
      pushConfig: {
        pushEndpoint: 'https://x.run.app/pubsub/push',
        oidcToken: { serviceAccountEmail: 'push@p.iam.gserviceaccount.com' },
      },
    }),
  'HIPAA-RUN-1': (s) => run(s, (c) => ({ ...c, ingress: 'INGRESS_TRAFFIC_ALL' })),
  'HIPAA-RUN-2': (s) => run(s, (c) => ({ ...c, template: { ...c.template, encryptionKey: undefined } })),
  'HIPAA-RUN-3': (s) =>
    run(s, (c) => ({ ...c, ingress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER', invokerIamDisabled: true })),
  'HIPAA-RUN-4': (s) =>
    run(s, (c) => ({
      ...c,
      template: { ...c.template, containers: [{ image: 'img', env: [{ name: 'CODA_API_TOKEN', value: 'abc' }] }] },
    })),
  'HIPAA-RUN-5': (s) => run(s, (c) => ({ ...c, template: { ...c.template, serviceAccount: undefined } })),
  'HIPAA-RUN-6': (s) =>
    new CloudRunV2Job(s, 'anonymize', {
      name: 'anonymize',
      location: 'us-central1',
      template: {
        template: {
          containers: [
            {
              image: 'img',
              args: ['node', 'dist/cli/main.js', 'anonymize'],
              env: [
                { name: 'ANONYMIZE_SOURCE_URL', value: 'postgres://reader:hunter2@10.0.0.1:5432/platform' },
                { name: 'ANONYMIZE_SOURCE_AUTH', value: 'password' },
                { name: 'ANONYMIZE_TARGET_AUTH', value: 'cloudsql-iam' },
                { name: 'ANONYMIZE_KEY', value: 'a-key-in-plain-sight' },
              ],
            },
          ],
        },
      },
    }),
  'HIPAA-RUN-7': (s) => {
    // The anonymize job granted a login on the live instance instead of a point-in-time clone.
    new CloudRunV2Job(s, 'anonymize', {
      name: 'anonymize',
      location: 'us-central1',
      template: {
        template: {
          serviceAccount: 'run-anonymize@p.iam.gserviceaccount.com',
          containers: [{ image: 'img', args: ['node', 'dist/cli/main.js', 'anonymize'] }],
        },
      },
    });
    new ProjectIamMember(s, 'login', {
      project: 'p',
      role: 'roles/cloudsql.instanceUser',
      member: 'serviceAccount:run-anonymize@p.iam.gserviceaccount.com',
      condition: { title: 'only-prod', expression: 'resource.name.startsWith("projects/p/instances/platform-prod")' },
    });
  },
  'HIPAA-SM-1': (s) =>
    new SecretManagerSecretVersion(s, 'v', { secret: 'projects/p/secrets/x', secretData: 'hunter2' }),
  'HIPAA-SM-2': (s) => new SecretManagerSecret(s, 'secret', { secretId: 'x', replication: { auto: {} } }),
  'HIPAA-SCH-1': (s) =>
    new CloudSchedulerJob(s, 'job', {
      name: 'j',
      schedule: '* * * * *',
      region: 'us-central1',
      httpTarget: { uri: 'https://x.run.app/sync/all' },
    }),
  'HIPAA-KMS-1': (s) => new KmsCryptoKey(s, 'key', { name: 'k', keyRing: 'r' }),
  'HIPAA-NET-1': (s) => new ComputeNetwork(s, 'vpc', { name: 'default-like' }),
  'HIPAA-NET-2': (s) =>
    new ComputeSubnetwork(s, 'subnet', { name: 's', network: 'n', ipCidrRange: '10.0.0.0/24', region: 'us-central1' }),
  'HIPAA-NET-3': (s) =>
    new ComputeFirewall(s, 'fw', {
      name: 'open',
      network: 'n',
      sourceRanges: ['0.0.0.0/0'],
      allow: [{ protocol: 'tcp', ports: ['5432'] }],
    }),
  'HIPAA-LB-1': (s) =>
    new ComputeBackendService(s, 'backend', { name: 'b', protocol: 'HTTPS', loadBalancingScheme: 'EXTERNAL_MANAGED' }),
  'HIPAA-LB-2': (s) =>
    new ComputeSslPolicy(s, 'ssl', { name: 'weak', minTlsVersion: 'TLS_1_0', profile: 'COMPATIBLE' }),
  'HIPAA-LB-3': (s) => new ComputeTargetHttpProxy(s, 'http', { name: 'h', urlMap: 'm' }),
  'HIPAA-LOG-1': (s) =>
    new LoggingMetric(s, 'metric', {
      name: 'webhooks_by_patient',
      filter: 'jsonPayload.event="x"',
      metricDescriptor: { metricKind: 'DELTA', valueType: 'INT64', labels: [{ key: 'patient', valueType: 'STRING' }] },
      labelExtractors: { patient: 'EXTRACT(jsonPayload.patientId)' },
    }),
  'HIPAA-MON-1': (s) => {
    new MonitoringSlo(s, 'slo', {
      service: 'svc',
      sloId: 'availability',
      goal: 0.999,
      rollingPeriodDays: 28,
      requestBasedSli: { goodTotalRatio: { totalServiceFilter: 'a', badServiceFilter: 'b' } },
    });
    // One window only: pages on a blip and keeps paging long after recovery.
    new MonitoringAlertPolicy(s, 'alert', {
      displayName: 'burn',
      combiner: 'OR',
      notificationChannels: ['projects/p/notificationChannels/1'],
      conditions: [
        {
          displayName: 'burn',
          conditionThreshold: {
            filter: 'select_slo_burn_rate("projects/p/services/svc/serviceLevelObjectives/availability", "3600s")',
            comparison: 'COMPARISON_GT',
            thresholdValue: 14.4,
            duration: '0s',
          },
        },
      ],
    });
  },
  'HIPAA-AUD-1': (s) =>
    new PostgresInstance(s, 'db', {
      projectId: 'test-project',
      region: 'us-central1',
      name: 'db',
      encryptionKeyId: KEY,
    }),
  'HIPAA-ORG-1': (s) => {
    new PostgresInstance(s, 'db', {
      projectId: 'test-project',
      region: 'us-central1',
      name: 'db',
      encryptionKeyId: KEY,
    });
    new ProjectIamAuditConfig(s, 'audit', {
      project: 'test-project',
      service: 'allServices',
      auditLogConfig: [{ logType: 'ADMIN_READ' }, { logType: 'DATA_READ' }, { logType: 'DATA_WRITE' }],
    });
  },
};

const ruleIds = (build: (s: Construct) => void): string[] => findingsFor(build).map((f) => f.ruleId);

describe('HIPAA rule pack', () => {
  it('has a failing-construct case for every rule', () => {
    const all = [...RESOURCE_RULES, ...STACK_RULES].map((r) => r.id).sort();
    expect(Object.keys(BAD).sort()).toEqual(all);
    expect(new Set(all).size).toBe(all.length);
  });

  it.each(Object.keys(BAD))('%s fires on a bad construct, naming the path and the fix', (id) => {
    const findings = findingsFor(BAD[id]!);
    const finding = findings.find((f) => f.ruleId === id);
    expect(finding, JSON.stringify(findings)).toBeDefined();
    expect(finding!.message).toMatch(new RegExp(`^\\[${id}\\] .+\\. Fix: .+`));
    expect(finding!.path).toMatch(/^test/);
  });

  it('the SQL baseline used above passes, so each SQL case fails only its own rule', () => {
    // A lone SQL instance also trips the stack rules (no audit config, no org policies); ignore those here.
    const resourceRuleIds = (build: (s: Construct) => void) =>
      ruleIds(build).filter((id) => !STACK_RULES.some((r) => r.id === id));
    expect(resourceRuleIds((s) => sql(s, (c) => c))).toEqual([]);
    for (const id of Object.keys(BAD).filter((k) => k.startsWith('HIPAA-SQL-'))) {
      expect(resourceRuleIds(BAD[id]!)).toEqual([id]);
    }
  });

  it('the real constructs pass on their own: PostgresInstance with HipaaProject', () => {
    expect(
      ruleIds((s) => {
        const project = new HipaaProject(s, 'project', {
          projectId: 'test-project',
          projectNumber: '123',
          region: 'us-central1',
          workspaceCustomerId: 'C01abcdef',
        });
        new PostgresInstance(s, 'db', {
          projectId: 'test-project',
          region: 'us-central1',
          name: 'db',
          encryptionKeyId: project.keys.keyId('sql'),
        });
      }),
    ).toEqual([]);
  });

  it('HIPAA-SQL-5 lets a point-in-time clone be deleted, and only a clone', () => {
    const resourceRuleIds = (build: (s: Construct) => void) =>
      ruleIds(build).filter((id) => !STACK_RULES.some((r) => r.id === id));
    const clone = { sourceInstanceName: 'db', pointInTime: '2026-12-01T06:00:00Z' };
    const instance = (s: Construct) =>
      new PostgresInstance(s, 'clone', {
        projectId: 'p',
        region: 'us-central1',
        name: 'c',
        encryptionKeyId: KEY,
        cloneOf: clone,
      });
    expect(resourceRuleIds(instance)).toEqual([]);
    expect(
      resourceRuleIds((s) => sql(s, (c) => ({ ...c, deletionProtection: false, clone: { sourceInstanceName: 'db' } }))),
    ).toEqual([]);
    expect(
      resourceRuleIds((s) => sql(s, (c) => ({ ...c, deletionProtection: false, clone: { sourceInstanceName: '' } }))),
    ).toEqual(['HIPAA-SQL-5']);
  });

  it('the real monitoring constructs pass on their own: LogMetrics and ServiceLevelObjectives', () => {
    expect(
      ruleIds((s) => {
        new LogMetrics(s, 'metrics', { projectId: 'test-project' });
        new ServiceLevelObjectives(s, 'slos', {
          projectId: 'test-project',
          cloudRunServiceName: 'drchrono-sync',
          webhookBackendName: 'webhooks',
          notificationChannels: ['projects/test-project/notificationChannels/1'],
          runbookBaseUrl: 'https://example.com/runbooks',
        });
      }),
    ).toEqual([]);
  });

  it('HIPAA-LOG-1 accepts allowlisted jsonPayload fields and resource labels, and refuses ids and free text', () => {
    const metric = (extractors: Record<string, string>) => (s: Construct) =>
      new LoggingMetric(s, 'metric', {
        name: 'm',
        filter: 'jsonPayload.event="x"',
        metricDescriptor: { metricKind: 'DELTA', valueType: 'INT64' },
        labelExtractors: extractors,
      });
    expect(
      ruleIds(
        metric({
          kind: 'EXTRACT(jsonPayload.kind)',
          table: 'REGEXP_EXTRACT(jsonPayload.table, "(\\w+)")',
          service: 'EXTRACT(resource.labels.service_name)',
        }),
      ),
    ).toEqual([]);
    for (const bad of [
      'EXTRACT(jsonPayload.message)',
      'EXTRACT(jsonPayload.requestId)',
      'EXTRACT(textPayload)',
      'EXTRACT(httpRequest.requestUrl)',
      'EXTRACT(jsonPayload.patient.name)',
    ]) {
      expect(ruleIds(metric({ label: bad })), bad).toEqual(['HIPAA-LOG-1']);
    }
  });

  it('HIPAA-MON-1 wants the long and the short window ANDed in one policy with a channel', () => {
    const withPolicy = (combiner: string, windows: string[], channels: string[]) => (s: Construct) => {
      BAD['HIPAA-MON-1']!(s);
      new MonitoringAlertPolicy(s, 'multi', {
        displayName: 'burn',
        combiner,
        notificationChannels: channels,
        conditions: windows.map((w) => ({
          displayName: w,
          conditionThreshold: {
            filter: `select_slo_burn_rate("projects/p/services/svc/serviceLevelObjectives/availability", "${w}")`,
            comparison: 'COMPARISON_GT',
            thresholdValue: 14.4,
            duration: '0s',
          },
        })),
      });
    };
    const channel = ['projects/p/notificationChannels/1'];
    expect(ruleIds(withPolicy('AND', ['3600s', '300s'], channel))).toEqual([]);
    expect(ruleIds(withPolicy('OR', ['3600s', '300s'], channel))).toEqual(['HIPAA-MON-1']);
    expect(ruleIds(withPolicy('AND', ['3600s', '3600s'], channel))).toEqual(['HIPAA-MON-1']);
    expect(ruleIds(withPolicy('AND', ['3600s', '300s'], []))).toEqual(['HIPAA-MON-1']);
  });

  it('HIPAA-SCH-1 refuses a job whose OIDC audience is another service than the one it calls', () => {
    const job = (uri: string, audience: string) => (s: Construct) =>
      new CloudSchedulerJob(s, 'job', {
        name: 'j',
        schedule: '* * * * *',
        region: 'us-central1',
        httpTarget: { uri, oidcToken: { serviceAccountEmail: 'scheduler@p.iam.gserviceaccount.com', audience } },
      });
    expect(ruleIds(job('https://coda-push-1.run.app/maintenance/cleanup', 'https://drchrono-sync-1.run.app'))).toEqual([
      'HIPAA-SCH-1',
    ]);
    expect(ruleIds(job('https://coda-push-1.run.app/maintenance/cleanup', 'https://coda-push-1.run.app'))).toEqual([]);
    expect(ruleIds(job('https://coda-push-1.run.app', 'https://coda-push-1.run.app/'))).toEqual([]);
  });

  it('checks the final JSON, so an escape-hatch override cannot slip past', () => {
    const ids = ruleIds((s) => {
      new PostgresInstance(s, 'db', {
        projectId: 'test-project',
        region: 'us-central1',
        name: 'db',
        encryptionKeyId: KEY,
      }).instance.addOverride('settings.ip_configuration.ipv4_enabled', true);
    });
    expect(ids).toContain('HIPAA-SQL-1');
  });

  it('a documented suppression turns the error into an info annotation', () => {
    const ids = ruleIds((s) => {
      BAD['HIPAA-RUN-3']!(s);
      suppressRule(
        s.node.findChild('run'),
        'HIPAA-RUN-3',
        'webhook ingress behind the load balancer, app verifies signatures',
      );
    });
    expect(ids).toEqual([]);
    expect(() => suppressRule(BAD_SCOPE(), 'HIPAA-RUN-3', 'too short')).toThrow(/at least 20 characters/);
  });

  it('passes on the real bootstrap, staging and prod stacks', () => {
    const { errors, stacks } = synthesizeAll();
    expect(errors).toEqual([]);
    expect(Object.keys(stacks)).toHaveLength(3);
  });
});

function BAD_SCOPE(): Construct {
  let scope: Construct | undefined;
  findingsFor((s) => {
    scope = s;
  });
  return scope!;
}
