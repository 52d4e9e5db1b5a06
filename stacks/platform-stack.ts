import type { Construct } from 'constructs';
import { GcsBackend, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider/index.js';
import { DataGoogleProject } from '@cdktf/provider-google/lib/data-google-project/index.js';
import { HipaaProject } from '../constructs/hipaa-project.js';
import { PrivateNetwork } from '../constructs/private-network.js';
import { PostgresInstance } from '../constructs/postgres-instance.js';
import { SyncService } from '../constructs/sync-service.js';
import { ChangeEvents } from '../constructs/change-events.js';
import { Secrets } from '../constructs/secrets.js';
import { ReconcileSchedule } from '../constructs/reconcile-schedule.js';
import { AuditArchive } from '../constructs/audit-archive.js';
import { Monitoring } from '../constructs/monitoring.js';
import { CiIdentity } from '../constructs/ci-identity.js';
import { WebhookIngress } from '../constructs/webhook-ingress.js';
import { ArtifactRepository } from '../constructs/artifact-repository.js';
import { serviceAccountMember } from '../constructs/validation.js';
import { suppressRule } from '../constructs/policies/index.js';
import { SECRETS, type EnvironmentConfig } from './environments.js';

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
    /** IAM database user of a Cloud Run service account (email without ".gserviceaccount.com", URL-encoded). */
    const dbUser = (service: string): string => `run-${service}%40${projectId}.iam`;

    const image = new TerraformVariable(this, 'image', {
      type: 'string',
      description: 'Container image (by digest) for both services, e.g. <region>-docker.pkg.dev/<project>/platform/platform@sha256:…',
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
      encryptionKeyId: keys.keyId('sql'),
      tier: env.database.tier,
      availabilityType: env.database.availabilityType,
      diskSizeGb: env.database.diskSizeGb,
    });
    const dbEndpoint = network.addPscEndpoint('sql', {
      serviceAttachment: db.instance.pscServiceAttachmentLink,
      dnsName: db.instance.dnsName,
    });
    const databaseUrl = (service: string): string =>
      `postgres://${dbUser(service)}@${dbEndpoint.address}:5432/${db.databaseName}?sslmode=require`;

    const secrets = new Secrets(this, 'secrets', {
      projectId,
      region,
      kmsKeyId: keys.keyId('secrets'),
      secrets: SECRETS,
    });

    // ── identities and entry points that the services' configuration refers to ────────────────────────────────
    const schedule = new ReconcileSchedule(this, 'schedule', {
      projectId,
      region,
      targets: { 'drchrono-sync': runUrl('drchrono-sync'), 'coda-push': runUrl('coda-push') },
      timeZone: env.app.timezone,
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
    const drchronoSync = new SyncService(this, 'drchrono-sync', {
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
        DATABASE_URL: databaseUrl('drchrono-sync'),
        DRCHRONO_BASE_URL: 'https://app.drchrono.com',
        DRCHRONO_TOKEN_STORE: 'secret-manager:drchrono-token',
        DRCHRONO_TIMEZONE: env.app.timezone,
        EVENT_BUS: 'pubsub',
        PUBSUB_PROJECT_ID: projectId,
        PUBSUB_TOPIC: 'change-events',
        AUTH_OIDC_AUDIENCE: runUrl('drchrono-sync'),
        AUTH_OIDC_ALLOWED_EMAILS: schedule.serviceAccountEmail,
        AUTH_IAP_AUDIENCE: `/projects/${projectNumber}/global/backendServices/${ingress.staffBackend.generatedId}`,
        PUSH_AUTH: 'oidc',
        LOG_LEVEL: env.app.logLevel,
      },
      secretEnv: {
        DRCHRONO_CLIENT_ID: { secretId: secrets.secretId('drchrono-client-id') },
        DRCHRONO_CLIENT_SECRET: { secretId: secrets.secretId('drchrono-client-secret') },
        DRCHRONO_WEBHOOK_SECRET: { secretId: secrets.secretId('drchrono-webhook-secret') },
        DEEPCURA_KEY: { secretId: secrets.secretId('deepcura-key') },
      },
    });
    suppressRule(
      drchronoSync.service,
      'HIPAA-RUN-3',
      'Documented webhook ingress (DESIGN §6/§8): DrChrono cannot send Google tokens, so the load balancer forwards ' +
        'webhooks unauthenticated; ingress is load-balancer-only, Cloud Armor rate-limits /webhooks/*, IAP guards the ' +
        'staff backend, and the app verifies webhook signatures and OIDC/IAP tokens on every other route.',
    );
    const codaPush = new SyncService(this, 'coda-push', {
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
        DATABASE_URL: databaseUrl('coda-push'),
        CODA_BASE_URL: 'https://coda.io/apis/v1',
        CODA_DOC_ID: env.app.codaDocId,
        CODA_MAPPING: '/app/config/coda-mapping.json',
        EVENT_BUS: 'pubsub',
        PUBSUB_PROJECT_ID: projectId,
        AUTH_OIDC_AUDIENCE: runUrl('coda-push'),
        // Two lists: the push identity may only push, the scheduler may only call /maintenance/*.
        AUTH_OIDC_ALLOWED_EMAILS: schedule.serviceAccountEmail,
        PUSH_OIDC_ALLOWED_EMAILS: events.pushServiceAccount.email,
        PUSH_AUTH: 'oidc',
        LOG_LEVEL: env.app.logLevel,
      },
      secretEnv: { CODA_API_TOKEN: { secretId: secrets.secretId('coda-api-token') } },
    });

    // ── least-privilege grants, each on one resource ──────────────────────────────────────────────────────────
    const syncSa = serviceAccountMember(drchronoSync.serviceAccountEmail);
    const pushSa = serviceAccountMember(codaPush.serviceAccountEmail);
    for (const key of ['drchrono-client-id', 'drchrono-client-secret', 'drchrono-webhook-secret', 'deepcura-key', 'drchrono-token']) {
      secrets.grantSecretAccess(key, 'drchrono-sync', syncSa);
    }
    secrets.grantAddVersion('drchrono-token', 'drchrono-sync', syncSa);
    secrets.grantSecretAccess('coda-api-token', 'coda-push', pushSa);
    events.grantPublish('drchrono-sync', syncSa);
    codaPush.grantInvoke('pubsub-push', serviceAccountMember(events.pushServiceAccount.email));
    codaPush.grantInvoke('scheduler', serviceAccountMember(schedule.serviceAccountEmail));
    db.grantConnect('drchrono-sync', drchronoSync.serviceAccountEmail);
    db.grantConnect('coda-push', codaPush.serviceAccountEmail);

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
    });

    new TerraformOutput(this, 'ingress_ip', { value: ingress.address.address });
    new TerraformOutput(this, 'image_prefix', { value: registry.imagePrefix });
    new TerraformOutput(this, 'wif_provider', { value: ci.providerName });
    new TerraformOutput(this, 'deploy_service_account', { value: ci.deployServiceAccount.email });
    new TerraformOutput(this, 'plan_service_account', { value: ci.planServiceAccount.email });
    new TerraformOutput(this, 'drchrono_sync_url', { value: runUrl('drchrono-sync') });
  }
}
