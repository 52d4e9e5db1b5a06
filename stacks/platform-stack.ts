import type { Construct } from 'constructs';
import { GcsBackend, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider/index.js';
import { DataGoogleProject } from '@cdktf/provider-google/lib/data-google-project/index.js';
import { HipaaProject } from '../constructs/hipaa-project.js';
import { PrivateNetwork } from '../constructs/private-network.js';
import { PostgresInstance } from '../constructs/postgres-instance.js';
import { CloudRunService } from '../constructs/cloud-run-service.js';
import { ChangeEvents } from '../constructs/change-events.js';
import { Secrets } from '../constructs/secrets.js';
import { ScheduledCalls } from '../constructs/scheduled-calls.js';
import { AuditArchive } from '../constructs/audit-archive.js';
import { Monitoring } from '../constructs/monitoring.js';
import { CiIdentity } from '../constructs/ci-identity.js';
import { WebhookIngress } from '../constructs/webhook-ingress.js';
import { ArtifactRepository } from '../constructs/artifact-repository.js';
import { serviceAccountMember } from '../constructs/validation.js';
import { suppressRule } from '../constructs/policies/index.js';
import { MigrationJob } from '../constructs/migration-job.js';
import { AnonymizeJob } from '../constructs/anonymize-job.js';
import {
  ANONYMIZE_JOB_NAME,
  ANONYMIZE_KEY_SECRET,
  anonymizeSourceInstanceName,
  APP_DATABASE_ROLE,
  CODA_DEFAULT_BASE_URL,
  DATABASE_NAME,
  DRCHRONO_DEFAULT_BASE_URL,
  iamDatabaseUser,
  MIGRATE_JOB_NAME,
  PRACTICE_TIME_ZONE,
  SECRETS,
  secretManagerTokenStore,
  SERVICE_ACCOUNT_IDS,
  DRCHRONO_TOKEN_SECRET,
  type AnonymizeEnvName,
  type MigrateEnvName,
  type SecretId,
  type ServiceEnvName,
  type ServiceName,
} from '../contract/index.js';
import type { EnvironmentConfig } from './environments.js';

/** A service's plain environment, keyed by the variables its own schema reads (a misspelt name does not compile). */
type ServiceEnv<S extends ServiceName> = Partial<Record<ServiceEnvName<S>, string>>;

/** The contract's secrets a service reads as variables: `{ ENV_NAME: { secretId } }`. */
function secretEnvOf(service: ServiceName, secretId: (key: SecretId) => string) {
  return Object.fromEntries(
    Object.entries(SECRETS).flatMap(([key, spec]) =>
      spec.service === service && spec.env ? [[spec.env, { secretId: secretId(key as SecretId) }]] : [],
    ),
  );
}

/**
 * The whole platform for one environment. Wiring only: every security default lives in the constructs, every
 * difference between environments in `environments.ts`.
 */
export class PlatformStack extends TerraformStack {
  constructor(scope: Construct, id: string, env: EnvironmentConfig) {
    super(scope, id);

    // ── derived values (computed once, like Fabric's locals) ──────────────────────────────────────────────────
    const projectId = env.projectId;
    const region = env.region;
    const runbooks = `https://github.com/${env.github.repository}/blob/main/docs/runbooks`;

    new GcsBackend(this, { bucket: env.stateBucket, prefix: `platform/${env.name}` });
    new GoogleProvider(this, 'google', {
      project: projectId,
      region,
      defaultLabels: { environment: env.name, system: 'feel-august-platform' },
    });
    const projectNumber = new DataGoogleProject(this, 'project', { projectId }).number;
    /** Deterministic Cloud Run URL (`https://<service>-<project number>.<region>.run.app`): also the OIDC audience. */
    const runUrl = (service: string): string => `https://${service}-${projectNumber}.${region}.run.app`;
    /** Email of a runtime service account created below (its id comes from the contract). */
    const saEmail = (id: string): string => `${id}@${projectId}.iam.gserviceaccount.com`;
    /** Cloud SQL IAM database user of a runtime identity. */
    const dbUser = (id: string): string => iamDatabaseUser(saEmail(id));

    const image = new TerraformVariable(this, 'image', {
      type: 'string',
      description:
        'Container image (by digest) for both services, e.g. <region>-docker.pkg.dev/<project>/platform/platform@sha256:…',
    });

    // ── guard rails, keys, network ────────────────────────────────────────────────────────────────────────────
    const project = new HipaaProject(this, 'project-guardrails', {
      projectId,
      projectNumber,
      region,
      workspaceCustomerId: env.workspaceCustomerId,
    });
    const keys = project.keys;
    const network = new PrivateNetwork(this, 'network', {
      projectId,
      region,
      subnetCidr: env.network.subnetCidr,
      peerNetworkSelfLink: env.network.peerWebsiteNetwork,
    });
    const registry = new ArtifactRepository(this, 'registry', {
      projectId,
      region,
      kmsKeyId: keys.keyId('artifacts'),
    });

    // ── data ──────────────────────────────────────────────────────────────────────────────────────────────────
    const db = new PostgresInstance(this, 'postgres', {
      projectId,
      region,
      name: `platform-${env.name}`,
      databaseName: DATABASE_NAME,
      encryptionKeyId: keys.keyId('sql'),
      tier: env.database.tier,
      availabilityType: env.database.availabilityType,
      diskSizeGb: env.database.diskSizeGb,
      allowedConsumerProjects: [projectId, ...(env.database.pscConsumerProjects ?? [])],
    });
    const dbEndpoint = network.addPscEndpoint('sql', {
      serviceAttachment: db.instance.pscServiceAttachmentLink,
      dnsName: db.instance.dnsName,
    });
    // IAM database authentication: no password in the URL; the service logs in with its own IAM token.
    const databaseUrl = (id: string, endpoint = dbEndpoint): string =>
      `postgres://${encodeURIComponent(dbUser(id))}@${endpoint.address}:5432/${db.databaseName}?sslmode=require`;

    const secrets = new Secrets(this, 'secrets', {
      projectId,
      region,
      kmsKeyId: keys.keyId('secrets'),
      secrets: SECRETS,
    });

    // ── identities and entry points that the services' configuration refers to ────────────────────────────────
    const schedule = new ScheduledCalls(this, 'schedule', {
      projectId,
      region,
      targets: { 'drchrono-sync': runUrl('drchrono-sync'), 'coda-push': runUrl('coda-push') },
      timeZone: PRACTICE_TIME_ZONE,
    });
    const events = new ChangeEvents(this, 'change-events', {
      projectId,
      projectNumber,
      kmsKeyId: keys.keyId('pubsub'),
      pushEndpoint: `${runUrl('coda-push')}/pubsub/push`,
      pushAudience: runUrl('coda-push'),
    });
    const ingress = new WebhookIngress(this, 'ingress', {
      projectId,
      region,
      domain: env.ingress.domain,
      cloudRunServiceName: 'drchrono-sync',
      staffMembers: env.ingress.staffMembers,
    });

    // ── services ──────────────────────────────────────────────────────────────────────────────────────────────
    const common = {
      projectId,
      region,
      image: image.stringValue,
      encryptionKeyId: keys.keyId('run'),
      networkId: network.network.id,
      subnetId: network.subnet.id,
    };
    const drchronoSync = new CloudRunService(this, 'drchrono-sync', {
      ...common,
      name: 'drchrono-sync',
      minInstances: env.services.drchronoSync.minInstances,
      maxInstances: env.services.drchronoSync.maxInstances,
      cpu: env.services.drchronoSync.cpu,
      memory: env.services.drchronoSync.memory,
      cpuAlwaysAllocated: true,
      ingress: 'internal-and-load-balancer',
      allowUnauthenticatedFromLoadBalancer: true,
      env: {
        DATABASE_URL: databaseUrl(SERVICE_ACCOUNT_IDS['drchrono-sync']),
        DATABASE_AUTH: 'cloudsql-iam',
        DRCHRONO_BASE_URL: DRCHRONO_DEFAULT_BASE_URL,
        DRCHRONO_TOKEN_STORE: secretManagerTokenStore(projectId, secrets.secretId(DRCHRONO_TOKEN_SECRET)),
        DRCHRONO_TIMEZONE: PRACTICE_TIME_ZONE,
        EVENT_BUS: 'pubsub',
        PUBSUB_PROJECT_ID: projectId,
        PUBSUB_TOPIC: events.topic.name,
        AUTH_OIDC_AUDIENCE: runUrl('drchrono-sync'),
        AUTH_OIDC_ALLOWED_EMAILS: schedule.serviceAccountEmail,
        AUTH_IAP_AUDIENCE: `/projects/${projectNumber}/global/backendServices/${ingress.staffBackend.generatedId}`,
        PUSH_AUTH: 'oidc',
        LOG_LEVEL: env.app.logLevel,
        OTEL_TRACES_EXPORTER: 'gcp',
      } satisfies ServiceEnv<'drchrono-sync'>,
      secretEnv: secretEnvOf('drchrono-sync', (key) => secrets.secretId(key)),
    });
    suppressRule(
      drchronoSync.service,
      'HIPAA-RUN-3',
      'Documented webhook ingress (DESIGN §6/§8): DrChrono cannot send Google tokens, so the load balancer forwards ' +
        'webhooks unauthenticated; ingress is load-balancer-only, Cloud Armor rate-limits /webhooks/*, IAP guards the ' +
        'staff backend, and the app verifies webhook signatures and OIDC/IAP tokens on every other route.',
    );
    const codaPush = new CloudRunService(this, 'coda-push', {
      ...common,
      name: 'coda-push',
      minInstances: env.services.codaPush.minInstances,
      maxInstances: env.services.codaPush.maxInstances,
      cpu: env.services.codaPush.cpu,
      memory: env.services.codaPush.memory,
      concurrency: 10,
      timeoutSeconds: 60,
      ingress: 'internal',
      env: {
        DATABASE_URL: databaseUrl(SERVICE_ACCOUNT_IDS['coda-push']),
        DATABASE_AUTH: 'cloudsql-iam',
        CODA_BASE_URL: CODA_DEFAULT_BASE_URL,
        CODA_DOC_ID: env.app.codaDocId,
        AUTH_OIDC_AUDIENCE: runUrl('coda-push'),
        // Two lists: the push identity may only push, the scheduler may only call /maintenance/*.
        AUTH_OIDC_ALLOWED_EMAILS: schedule.serviceAccountEmail,
        PUSH_OIDC_ALLOWED_EMAILS: events.pushServiceAccount.email,
        PUSH_AUTH: 'oidc',
        LOG_LEVEL: env.app.logLevel,
        OTEL_TRACES_EXPORTER: 'gcp',
      } satisfies ServiceEnv<'coda-push'>,
      secretEnv: secretEnvOf('coda-push', (key) => secrets.secretId(key)),
    });

    // ── least-privilege grants, each on one resource ──────────────────────────────────────────────────────────
    const syncSa = serviceAccountMember(drchronoSync.serviceAccountEmail);
    const pushSa = serviceAccountMember(codaPush.serviceAccountEmail);
    const readers = { 'drchrono-sync': syncSa, 'coda-push': pushSa } as const;
    for (const [key, spec] of Object.entries(SECRETS))
      secrets.grantSecretAccess(key, spec.service, readers[spec.service]);
    secrets.grantAddVersion(DRCHRONO_TOKEN_SECRET, 'drchrono-sync', syncSa);
    events.grantPublish('drchrono-sync', syncSa);
    codaPush.grantInvoke('pubsub-push', serviceAccountMember(events.pushServiceAccount.email));
    codaPush.grantInvoke('scheduler', serviceAccountMember(schedule.serviceAccountEmail));
    db.grantConnect('drchrono-sync', drchronoSync.serviceAccountEmail);
    db.grantConnect('coda-push', codaPush.serviceAccountEmail);
    // Spans to Cloud Trace (OTEL_TRACES_EXPORTER=gcp): write-only, and only the two services.
    drchronoSync.grantTraceWrite();
    codaPush.grantTraceWrite();

    // ── schema migrations: a job from the same image, run by every deploy before the services roll ────────────
    const migrate = new MigrationJob(this, 'migrate', {
      ...common,
      name: MIGRATE_JOB_NAME,
      serviceAccountId: SERVICE_ACCOUNT_IDS.migrate,
      command: ['node', 'dist/cli/main.js', 'migrate'],
      env: {
        DATABASE_URL: databaseUrl(SERVICE_ACCOUNT_IDS.migrate),
        DATABASE_AUTH: 'cloudsql-iam',
        // The services' IAM users get the application role after every migration (idempotent GRANT).
        DATABASE_APP_LOGINS: [
          dbUser(SERVICE_ACCOUNT_IDS['drchrono-sync']),
          dbUser(SERVICE_ACCOUNT_IDS['coda-push']),
        ].join(','),
        DATABASE_APP_ROLE: APP_DATABASE_ROLE,
      } satisfies Partial<Record<MigrateEnvName, string>>,
    });
    db.grantConnect('migrate', migrate.serviceAccountEmail);

    const ci = new CiIdentity(this, 'ci', {
      projectId,
      githubRepository: env.github.repository,
      deployEnvironment: env.github.deployEnvironment,
      stateBucket: env.stateBucket,
    });
    const deployer = serviceAccountMember(ci.deployServiceAccount.email);
    registry.grantPush('ci-deploy', deployer);
    drchronoSync.grantActAs('ci-deploy', deployer);
    codaPush.grantActAs('ci-deploy', deployer);
    migrate.grantActAs('ci-deploy', deployer);
    migrate.grantRun('ci-deploy', deployer);

    // ── prod only: the job that loads staging with de-identified data (issue 15, runbook anonymize-staging) ──────
    if (env.anonymizeStaging) {
      const staging = env.anonymizeStaging;
      const stagingEndpoint = staging.stagingSql && network.addPscEndpoint('staging-sql', staging.stagingSql);
      // The job reads a point-in-time clone of prod, never the live instance: a consistent cut without load on prod,
      // and its login is granted on the clone only. Declared per load and removed after (runbook).
      const pointInTime = staging.sourcePointInTime;
      const source =
        pointInTime === undefined
          ? undefined
          : new PostgresInstance(this, 'anonymize-source', {
              projectId,
              region,
              name: anonymizeSourceInstanceName(pointInTime),
              databaseName: DATABASE_NAME,
              encryptionKeyId: keys.keyId('sql'),
              tier: env.database.tier,
              availabilityType: 'ZONAL',
              diskSizeGb: env.database.diskSizeGb,
              cloneOf: { sourceInstanceName: db.instance.name, pointInTime },
            });
      const sourceEndpoint =
        source &&
        network.addPscEndpoint('anonymize-source', {
          serviceAttachment: source.instance.pscServiceAttachmentLink,
          dnsName: source.instance.dnsName,
        });
      const anonymize = new AnonymizeJob(this, 'anonymize-staging', {
        ...common,
        name: ANONYMIZE_JOB_NAME,
        serviceAccountId: SERVICE_ACCOUNT_IDS.anonymize,
        command: ['node', 'dist/cli/main.js', 'anonymize', '--report', '/tmp/anonymize-report.md'],
        secretKmsKeyId: keys.keyId('secrets'),
        keySecretId: ANONYMIZE_KEY_SECRET,
        env: {
          // Without a declared clone the job has no source and refuses to start.
          ...(sourceEndpoint && { ANONYMIZE_SOURCE_URL: databaseUrl(SERVICE_ACCOUNT_IDS.anonymize, sourceEndpoint) }),
          ANONYMIZE_SOURCE_AUTH: 'cloudsql-iam',
          // Without staging's PSC facts (runbook one-time step 1) the job has no target and refuses to start.
          ...(stagingEndpoint && {
            ANONYMIZE_TARGET_URL: `postgres://${encodeURIComponent(staging.targetDatabaseUser)}@${stagingEndpoint.address}:5432/${DATABASE_NAME}?sslmode=require`,
          }),
          ANONYMIZE_TARGET_AUTH: 'cloudsql-iam',
        } satisfies Partial<Record<AnonymizeEnvName, string>>,
      });
      // The user lives on prod (so every clone has it, with its read-only grant); the login only on the clone.
      db.addIamUser('anonymize', anonymize.serviceAccountEmail);
      source?.grantIamLogin('anonymize', anonymize.serviceAccountEmail);
      anonymize.grantActAs('ci-deploy', deployer);
    }

    // ── audit and alerting ────────────────────────────────────────────────────────────────────────────────────
    new AuditArchive(this, 'audit-archive', {
      projectId,
      location: region,
      bucketName: env.auditArchive.bucketName,
      kmsKeyId: keys.keyId('storage'),
      lockRetention: env.auditArchive.lockRetention,
    });
    new Monitoring(this, 'monitoring', {
      projectId,
      notificationEmail: env.alertEmail,
      deadLetterSubscriptionId: events.deadLetterSubscription.name,
      webhookBackendName: ingress.webhookBackend.name,
      uptimeHost: env.ingress.domain,
      runbookBaseUrl: runbooks,
      cloudRunServiceNames: [drchronoSync.service.name, codaPush.service.name],
      sqlInstanceName: db.instance.name,
    });

    new TerraformOutput(this, 'ingress_ip', { value: ingress.address.address });
    new TerraformOutput(this, 'image_prefix', { value: registry.imagePrefix });
    new TerraformOutput(this, 'wif_provider', { value: ci.providerName });
    new TerraformOutput(this, 'deploy_service_account', { value: ci.deployServiceAccount.email });
    new TerraformOutput(this, 'plan_service_account', { value: ci.planServiceAccount.email });
    new TerraformOutput(this, 'drchrono_sync_url', { value: runUrl('drchrono-sync') });
  }
}
