import type { AvailabilityType } from '../constructs/postgres-instance.js';

/**
 * Per-environment configuration — the only place staging and prod may differ. Everything else is the same
 * `PlatformStack` code, and test/infra/environments.test.ts proves the synthesized stacks differ only in the
 * fields below.
 */

export type EnvironmentName = 'staging' | 'prod';

export interface ServiceSizing {
  /** Minimum instances (drchrono-sync: ≥ 1, it hosts the outbox relay). */
  readonly minInstances: number;
  /** Maximum instances (coda-push: exactly 1, Coda's write limit is per token). */
  readonly maxInstances: number;
  /** CPU limit ("1", "2"). */
  readonly cpu: string;
  /** Memory limit ("512Mi", "1Gi"). */
  readonly memory: string;
}

export interface EnvironmentConfig {
  readonly name: EnvironmentName;
  /** Dedicated GCP project; staging and prod never share one, nor a network. */
  readonly projectId: string;
  /** Region for every regional resource (US only: `gcp.resourceLocations`). */
  readonly region: string;
  /** Google Workspace customer id for `iam.allowedPolicyMemberDomains`. */
  readonly workspaceCustomerId: string;
  /** Terraform state bucket (created by the bootstrap stack in this project). */
  readonly stateBucket: string;
  readonly network: {
    /** Private subnet range. Staging and prod use different ranges so a future mistake cannot route between them. */
    readonly subnetCidr: string;
    /** Website backend VPC to peer with (seed 003); unset = no peering. */
    readonly peerWebsiteNetwork?: string;
  };
  readonly database: {
    readonly tier: string;
    readonly availabilityType: AvailabilityType;
    readonly diskSizeGb: number;
    /**
     * Other projects allowed to connect over Private Service Connect (staging: prod, where the anonymize job runs).
     * @default none: the environment's own project only
     */
    readonly pscConsumerProjects?: readonly string[];
  };
  readonly services: { readonly drchronoSync: ServiceSizing; readonly codaPush: ServiceSizing };
  readonly auditArchive: {
    readonly bucketName: string;
    /** Irreversible once applied; prod only. */
    readonly lockRetention: boolean;
  };
  readonly ingress: {
    /** Public host name for webhooks and staff access. */
    readonly domain: string;
    /** IAM members allowed through IAP to operational endpoints. */
    readonly staffMembers: readonly string[];
  };
  readonly alertEmail: string;
  readonly github: {
    /** `owner/name` allowed to federate into this project. */
    readonly repository: string;
    /** GitHub environment whose jobs may deploy here. */
    readonly deployEnvironment: string;
  };
  /**
   * The anonymize job (prod only): loads the staging database with de-identified data over a PSC endpoint to the
   * staging instance (docs/runbooks/anonymize-staging.md). Unset: no job.
   */
  readonly anonymizeStaging?: {
    /**
     * The staging instance's Private Service Connect facts, which Google assigns when staging is applied
     * (`gcloud sql instances describe platform-staging --format='value(pscServiceAttachmentLink,dnsName)'`, runbook
     * one-time step 1). Set, prod gets a PSC endpoint to staging (`psc-staging-sql`) and the job its target.
     * @default unset: no endpoint, the job has no target and refuses to start (a first prod deploy never points at an
     * attachment that does not exist yet)
     */
    readonly stagingSql?: {
      /** `pscServiceAttachmentLink`: `projects/<tenant>/regions/<region>/serviceAttachments/<id>`. */
      readonly serviceAttachment: string;
      /** `dnsName`, resolved in this VPC to the endpoint (ends with `.sql.goog.`). */
      readonly dnsName: string;
    };
    /** Cloud SQL IAM user of the job on the staging instance (created once by hand, runbook step 2). */
    readonly targetDatabaseUser: string;
    /**
     * The instant of prod the next load reads (RFC 3339 UTC, inside prod's 7-day PITR window). Set, the stack adds a
     * point-in-time clone of prod's instance and points the job at it; removed, the next deploy deletes the clone.
     * The job never reads the live prod database: its Cloud SQL login is granted on the clone only.
     * @default no clone: the job has no source and refuses to start (runbook "Load (or reload) staging")
     */
    readonly sourcePointInTime?: string;
  };
  readonly app: {
    /** Coda doc id (not secret). */
    readonly codaDocId: string;
    readonly logLevel: 'debug' | 'info' | 'warn';
  };
}

const REGION = 'us-central1';
/** Feel August's Workspace customer id (Admin console → Account settings). */
const WORKSPACE_CUSTOMER_ID = 'C01feelau';
const GITHUB_REPOSITORY = 'feel-august/platform';

export const ENVIRONMENTS: Readonly<Record<EnvironmentName, EnvironmentConfig>> = {
  staging: {
    name: 'staging',
    projectId: 'feel-august-platform-staging',
    region: REGION,
    workspaceCustomerId: WORKSPACE_CUSTOMER_ID,
    stateBucket: 'feel-august-platform-staging-tfstate',
    network: { subnetCidr: '10.20.0.0/24' },
    database: {
      tier: 'db-custom-1-3840',
      availabilityType: 'ZONAL',
      diskSizeGb: 10,
      // The anonymize job runs in prod and writes here; it is the only consumer outside staging (runbook).
      pscConsumerProjects: ['feel-august-platform-prod'],
    },
    services: {
      drchronoSync: { minInstances: 1, maxInstances: 2, cpu: '1', memory: '512Mi' },
      codaPush: { minInstances: 0, maxInstances: 1, cpu: '1', memory: '512Mi' },
    },
    auditArchive: { bucketName: 'feel-august-platform-staging-audit', lockRetention: false },
    ingress: { domain: 'hooks.staging.feelaugust.com', staffMembers: ['group:platform-staff@feelaugust.com'] },
    alertEmail: 'platform-alerts@feelaugust.com',
    github: { repository: GITHUB_REPOSITORY, deployEnvironment: 'staging' },
    app: { codaDocId: 'staging-doc-id', logLevel: 'debug' },
  },
  prod: {
    name: 'prod',
    projectId: 'feel-august-platform-prod',
    region: REGION,
    workspaceCustomerId: WORKSPACE_CUSTOMER_ID,
    stateBucket: 'feel-august-platform-prod-tfstate',
    network: { subnetCidr: '10.10.0.0/24' },
    database: { tier: 'db-custom-2-7680', availabilityType: 'REGIONAL', diskSizeGb: 20 },
    services: {
      drchronoSync: { minInstances: 1, maxInstances: 4, cpu: '1', memory: '1Gi' },
      codaPush: { minInstances: 0, maxInstances: 1, cpu: '1', memory: '512Mi' },
    },
    auditArchive: { bucketName: 'feel-august-platform-prod-audit', lockRetention: true },
    ingress: { domain: 'hooks.feelaugust.com', staffMembers: ['group:platform-staff@feelaugust.com'] },
    alertEmail: 'platform-oncall@feelaugust.com',
    github: { repository: GITHUB_REPOSITORY, deployEnvironment: 'prod' },
    // stagingSql: add staging's PSC facts here once staging is applied (runbook one-time step 1).
    anonymizeStaging: {
      targetDatabaseUser: 'run-anonymize@feel-august-platform-prod.iam',
    },
    app: { codaDocId: 'prod-doc-id', logLevel: 'info' },
  },
};

/** Secret Manager secrets (ids, descriptions, readers) are part of the deploy contract. */
export { SECRETS } from '../contract/index.js';
