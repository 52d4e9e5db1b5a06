import { Construct } from 'constructs';
import type { CloudRunV2Job } from '@cdktf/provider-google/lib/cloud-run-v2-job/index.js';
import type { CloudRunV2JobIamMember } from '@cdktf/provider-google/lib/cloud-run-v2-job-iam-member/index.js';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account/index.js';
import { grantActAsJobIdentity, grantJobRun } from './job-grants.js';
import { createOneShotJob } from './one-shot-job.js';

export interface MigrationJobProps {
  readonly projectId: string;
  readonly region: string;
  /** Job name (what `gcloud run jobs execute <name>` runs). */
  readonly name: string;
  /** Service account id of the job's identity (its Cloud SQL IAM user owns the schema). */
  readonly serviceAccountId: string;
  /** The services' image: the job runs the same build. */
  readonly image: string;
  /** Command and arguments that replace the image's entry point, e.g. `["node", "dist/cli/main.js", "migrate"]`. */
  readonly command: readonly string[];
  /** CMEK key id for the execution. */
  readonly encryptionKeyId: string;
  /** VPC network id for Direct VPC egress (reaches Cloud SQL's private endpoint). */
  readonly networkId: string;
  /** Subnetwork id for Direct VPC egress. */
  readonly subnetId: string;
  /** Plain environment variables (no secrets). @default {} */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Longest run, seconds (60–3600). Migrations are small and serialised by an advisory lock.
   * @default 600
   */
  readonly timeoutSeconds?: number;
}

/**
 * A Cloud Run job that applies the schema migrations from the services' own image, as its own identity, before a
 * deploy moves traffic to new revisions (`gcloud run jobs execute <name> --wait`). One task, no retries: a failed
 * migration stops the deploy instead of being run again half-understood.
 */
export class MigrationJob extends Construct {
  readonly job: CloudRunV2Job;
  readonly serviceAccount: ServiceAccount;

  constructor(scope: Construct, id: string, props: MigrationJobProps) {
    super(scope, id);
    this.serviceAccount = new ServiceAccount(this, 'sa', {
      project: props.projectId,
      accountId: props.serviceAccountId,
      displayName: `Cloud Run job ${props.name}`,
    });
    this.job = createOneShotJob(this, 'MigrationJob', {
      ...props,
      serviceAccountEmail: this.serviceAccount.email,
      timeoutSeconds: props.timeoutSeconds ?? 600,
      env: Object.entries(props.env ?? {}).map(([name, value]) => ({ name, value })),
      limits: { cpu: '1', memory: '512Mi' },
    });
  }

  get serviceAccountEmail(): string {
    return this.serviceAccount.email;
  }

  /** Grants `roles/run.developer` on this job only (run.jobs.run, run.executions.get): what the deployer needs to execute it. */
  grantRun(name: string, member: string): CloudRunV2JobIamMember {
    return grantJobRun(this, 'MigrationJob', this.job, name, member);
  }

  /** Grants `roles/iam.serviceAccountUser` on the job's identity: needed to deploy a job that runs as it. */
  grantActAs(name: string, member: string): void {
    grantActAsJobIdentity(this, 'MigrationJob', this.serviceAccount, name, member);
  }
}
