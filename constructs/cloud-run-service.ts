import { Construct } from 'constructs';
import { CloudRunV2Service } from '@cdktf/provider-google/lib/cloud-run-v2-service/index.js';
import type { CloudRunV2ServiceTemplateContainersEnv } from '@cdktf/provider-google/lib/cloud-run-v2-service/index.js';
import { CloudRunV2ServiceIamMember } from '@cdktf/provider-google/lib/cloud-run-v2-service-iam-member/index.js';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member/index.js';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account/index.js';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member/index.js';
import { ConstructPropsError, validateFormat, validateMember, validateRange } from './validation.js';

/**
 * Who may reach the service over the network.
 * - `internal`: VPC, and Google services in the project (Pub/Sub push, Cloud Scheduler).
 * - `internal-and-load-balancer`: the above plus the external HTTPS load balancer (webhooks, IAP staff access).
 * Direct public ingress (`all`) is deliberately not offered.
 */
export type ServiceIngress = 'internal' | 'internal-and-load-balancer';

const INGRESS: Record<ServiceIngress, string> = {
  internal: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
  'internal-and-load-balancer': 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
};

/** A Secret Manager reference exposed as an environment variable. */
export interface SecretEnv {
  /** Secret id (`google_secret_manager_secret.secret_id`). */
  readonly secretId: string;
  /**
   * Version to mount.
   * @default "latest"
   */
  readonly version?: string;
}

export interface CloudRunServiceProps {
  readonly projectId: string;
  readonly region: string;
  /** Cloud Run service name; also selects the entry point via `SERVICE`. */
  readonly name: 'drchrono-sync' | 'coda-push';
  /** Container image (one image for both services). */
  readonly image: string;
  /** CMEK key id for the revision's image and data (`template.encryption_key`). */
  readonly encryptionKeyId: string;
  /** VPC network id for Direct VPC egress. */
  readonly networkId: string;
  /** Subnetwork id for Direct VPC egress. */
  readonly subnetId: string;
  /**
   * Plain (non-secret) environment variables. Never put secrets here: use `secretEnv`.
   * @default {}
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Environment variables read from Secret Manager at instance start (`value_source.secret_key_ref`).
   * @default {}
   */
  readonly secretEnv?: Readonly<Record<string, SecretEnv>>;
  /**
   * Minimum instances, 0–100. drchrono-sync needs 1: it hosts the outbox relay.
   * @default 0
   */
  readonly minInstances?: number;
  /**
   * Maximum instances, 1–100. coda-push needs 1: Coda's write limit is per token.
   * @default 3
   */
  readonly maxInstances?: number;
  /**
   * Concurrent requests per instance, 1–1000.
   * @default 40
   */
  readonly concurrency?: number;
  /**
   * CPU limit, Cloud Run format ("1", "2").
   * @default "1"
   */
  readonly cpu?: string;
  /**
   * Memory limit, Cloud Run format ("512Mi", "1Gi").
   * @default "512Mi"
   */
  readonly memory?: string;
  /**
   * CPU always allocated (`cpu_idle = false`): needed for background work between requests (the outbox relay).
   * @default false
   */
  readonly cpuAlwaysAllocated?: boolean;
  /**
   * Request timeout, seconds, 1–3600. For push subscribers this is also the ack deadline ceiling.
   * @default 300
   */
  readonly timeoutSeconds?: number;
  /**
   * Network ingress.
   * @default "internal"
   */
  readonly ingress?: ServiceIngress;
  /**
   * Turns off Cloud Run's IAM invoker check so that the external load balancer can forward unauthenticated webhook
   * calls (DrChrono cannot send Google tokens). Only allowed with ingress `internal-and-load-balancer`; the app then
   * authenticates every route itself (signatures for webhooks, OIDC/IAP for everything else). The rule pack flags it
   * unless the service is the documented webhook ingress.
   * @default false
   */
  readonly allowUnauthenticatedFromLoadBalancer?: boolean;
}

/**
 * One Cloud Run v2 service with its own service account, Direct VPC egress to private ranges, CMEK, secrets from
 * Secret Manager, a startup probe on `/health`, and no public ingress.
 */
export class CloudRunService extends Construct {
  readonly service: CloudRunV2Service;
  readonly serviceAccount: ServiceAccount;
  readonly name: string;

  constructor(scope: Construct, id: string, props: CloudRunServiceProps) {
    super(scope, id);
    validateRange('CloudRunService', 'minInstances', props.minInstances, 0, 100, 'instances');
    validateRange('CloudRunService', 'maxInstances', props.maxInstances, 1, 100, 'instances');
    validateRange('CloudRunService', 'concurrency', props.concurrency, 1, 1000, 'requests');
    validateRange('CloudRunService', 'timeoutSeconds', props.timeoutSeconds, 1, 3600, 'seconds');
    validateFormat('CloudRunService', 'memory', props.memory, /^\d+(Mi|Gi)$/, 'a size such as "512Mi" or "1Gi"');
    const min = props.minInstances ?? 0;
    const max = props.maxInstances ?? 3;
    if (min > max) {
      throw new ConstructPropsError(
        `CloudRunService: minInstances (${min}) exceeds maxInstances (${max}); raise maxInstances or lower minInstances.`,
      );
    }
    const ingress = props.ingress ?? 'internal';
    if (props.allowUnauthenticatedFromLoadBalancer && ingress !== 'internal-and-load-balancer') {
      throw new ConstructPropsError(
        `CloudRunService: allowUnauthenticatedFromLoadBalancer needs ingress "internal-and-load-balancer"; received ` +
          `ingress "${ingress}". Set the ingress or drop the flag.`,
      );
    }
    for (const key of Object.keys(props.env ?? {})) {
      if (key in (props.secretEnv ?? {})) {
        throw new ConstructPropsError(
          `CloudRunService: ${key} is in both env and secretEnv; keep it in secretEnv only.`,
        );
      }
    }
    this.name = props.name;

    this.serviceAccount = new ServiceAccount(this, 'sa', {
      project: props.projectId,
      accountId: `run-${props.name}`,
      displayName: `Cloud Run ${props.name}`,
    });

    const env: CloudRunV2ServiceTemplateContainersEnv[] = [
      { name: 'SERVICE', value: props.name },
      ...Object.entries(props.env ?? {}).map(([name, value]) => ({ name, value })),
      ...Object.entries(props.secretEnv ?? {}).map(([name, ref]) => ({
        name,
        valueSource: { secretKeyRef: { secret: ref.secretId, version: ref.version ?? 'latest' } },
      })),
    ];

    this.service = new CloudRunV2Service(this, 'service', {
      project: props.projectId,
      name: props.name,
      location: props.region,
      ingress: INGRESS[ingress],
      invokerIamDisabled: props.allowUnauthenticatedFromLoadBalancer ?? false,
      deletionProtection: true,
      template: {
        serviceAccount: this.serviceAccount.email,
        encryptionKey: props.encryptionKeyId,
        executionEnvironment: 'EXECUTION_ENVIRONMENT_GEN2',
        maxInstanceRequestConcurrency: props.concurrency ?? 40,
        timeout: `${props.timeoutSeconds ?? 300}s`,
        scaling: { minInstanceCount: min, maxInstanceCount: max },
        vpcAccess: {
          egress: 'PRIVATE_RANGES_ONLY',
          networkInterfaces: [{ network: props.networkId, subnetwork: props.subnetId }],
        },
        containers: [
          {
            image: props.image,
            ports: { containerPort: 8080 },
            env,
            resources: {
              limits: { cpu: props.cpu ?? '1', memory: props.memory ?? '512Mi' },
              cpuIdle: !(props.cpuAlwaysAllocated ?? false),
              startupCpuBoost: true,
            },
            startupProbe: { httpGet: { path: '/health' }, periodSeconds: 5, failureThreshold: 12 },
            livenessProbe: { httpGet: { path: '/health' }, periodSeconds: 30 },
          },
        ],
      },
    });
  }

  /** The service's HTTPS URL (audience for OIDC tokens). */
  get uri(): string {
    return this.service.uri;
  }

  /** The runtime service account email. */
  get serviceAccountEmail(): string {
    return this.serviceAccount.email;
  }

  /** Generic resource-level grant on this service. */
  grant(name: string, member: string, role: string): CloudRunV2ServiceIamMember {
    validateMember('CloudRunService', 'member', member);
    return new CloudRunV2ServiceIamMember(this, `iam-${name}`, {
      project: this.service.project,
      location: this.service.location,
      name: this.service.name,
      role,
      member,
    });
  }

  /** Grants `roles/run.invoker` (run.routes.invoke) on this service only. */
  grantInvoke(name: string, member: string): CloudRunV2ServiceIamMember {
    return this.grant(`invoke-${name}`, member, 'roles/run.invoker');
  }

  /**
   * Grants this service's runtime account `roles/cloudtrace.agent` (cloudtrace.traces.patch: write spans, never read
   * them) on the project — Cloud Trace has no narrower resource to grant on. Lets `OTEL_TRACES_EXPORTER=gcp` export.
   */
  grantTraceWrite(): ProjectIamMember {
    return new ProjectIamMember(this, 'iam-cloudtrace-agent', {
      project: this.service.project,
      role: 'roles/cloudtrace.agent',
      member: `serviceAccount:${this.serviceAccount.email}`,
    });
  }

  /**
   * Grants `roles/iam.serviceAccountUser` (iam.serviceAccounts.actAs) on this service's runtime account only — what
   * a deployer needs to roll out new revisions.
   */
  grantActAs(name: string, member: string): ServiceAccountIamMember {
    validateMember('CloudRunService', 'member', member);
    return new ServiceAccountIamMember(this, `actas-${name}`, {
      serviceAccountId: this.serviceAccount.name,
      role: 'roles/iam.serviceAccountUser',
      member,
    });
  }
}
