import { Construct } from 'constructs';
import type { CloudRunV2Job } from '@cdktf/provider-google/lib/cloud-run-v2-job/index.js';
import type { CloudRunV2JobIamMember } from '@cdktf/provider-google/lib/cloud-run-v2-job-iam-member/index.js';
import { SecretManagerSecret } from '@cdktf/provider-google/lib/secret-manager-secret/index.js';
import { SecretManagerSecretIamMember } from '@cdktf/provider-google/lib/secret-manager-secret-iam-member/index.js';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account/index.js';
import { grantActAsJobIdentity, grantJobRun } from './job-grants.js';
import { createOneShotJob } from './one-shot-job.js';
import { validateFormat } from './validation.js';

export interface AnonymizeJobProps {
  readonly projectId: string;
  readonly region: string;
  /** Job name (what `gcloud run jobs execute <name>` runs). */
  readonly name: string;
  /** Service account id of the job's identity: its Cloud SQL IAM user reads prod and writes staging. */
  readonly serviceAccountId: string;
  /** The services' image: the job runs the same build. */
  readonly image: string;
  /** Command and arguments replacing the image's entry point, e.g. `["node", "dist/cli/main.js", "anonymize"]`. */
  readonly command: readonly string[];
  /** CMEK key id for the execution. */
  readonly encryptionKeyId: string;
  /** CMEK key id for the pseudonym-key secret (in `region`). */
  readonly secretKmsKeyId: string;
  /** Secret id of the pseudonym key; the value is added out of band, never by Terraform. */
  readonly keySecretId: string;
  /** VPC network id for Direct VPC egress (reaches both Cloud SQL endpoints privately). */
  readonly networkId: string;
  /** Subnetwork id for Direct VPC egress. */
  readonly subnetId: string;
  /**
   * Plain environment (no secrets): where to read and write and how to log in, e.g. `ANONYMIZE_SOURCE_URL`.
   * A value that looks like a credential (a password in a URL, a `*_KEY`/`*_SECRET`/`*_TOKEN` name) is refused.
   */
  readonly env: Readonly<Record<string, string>>;
  /** Environment variable the key secret is mounted as. @default 'ANONYMIZE_KEY' */
  readonly keyEnv?: string;
  /** Longest run, seconds (60–86400). @default 3600 */
  readonly timeoutSeconds?: number;
  /** CPU limit. @default '2' */
  readonly cpu?: string;
  /** Memory limit. @default '2Gi' */
  readonly memory?: string;
}

/**
 * The Cloud Run job, in the prod project, that loads the staging database with de-identified data
 * (`platform anonymize`): its own identity, its pseudonym key in a CMEK secret only it may read, one task and no
 * retries (a failed load leaves staging empty and is rerun by hand). It reaches prod's database and staging's over
 * Private Service Connect; staging lets the prod project connect and grants this identity once by hand
 * (docs/runbooks/anonymize-staging.md) — no peering, no route from staging to prod.
 */
export class AnonymizeJob extends Construct {
  readonly job: CloudRunV2Job;
  readonly serviceAccount: ServiceAccount;
  readonly keySecret: SecretManagerSecret;

  constructor(scope: Construct, id: string, props: AnonymizeJobProps) {
    super(scope, id);
    const keyEnv = props.keyEnv ?? 'ANONYMIZE_KEY';
    for (const [name, value] of Object.entries(props.env)) {
      if (/(KEY|SECRET|TOKEN|PASSWORD)$/.test(name))
        throw new Error(
          `AnonymizeJob: env.${name} looks like a secret; secrets come from Secret Manager (the key is mounted as ${keyEnv})`,
        );
      if (/^postgres(ql)?:\/\/[^/@]*:[^/@]*@/.test(value))
        throw new Error(
          `AnonymizeJob: env.${name} has a password in its URL; log in with Cloud SQL IAM (ANONYMIZE_*_AUTH=cloudsql-iam)`,
        );
    }
    if (
      props.env.ANONYMIZE_SOURCE_URL !== undefined &&
      props.env.ANONYMIZE_SOURCE_URL === props.env.ANONYMIZE_TARGET_URL
    )
      throw new Error('AnonymizeJob: ANONYMIZE_SOURCE_URL and ANONYMIZE_TARGET_URL are the same database');
    validateFormat(
      'AnonymizeJob',
      'keySecretId',
      props.keySecretId,
      /^[a-z][a-z0-9-]{2,254}$/,
      'a lower-case secret id',
    );

    this.serviceAccount = new ServiceAccount(this, 'sa', {
      project: props.projectId,
      accountId: props.serviceAccountId,
      displayName: `Cloud Run job ${props.name} (loads staging with de-identified data)`,
    });
    this.keySecret = new SecretManagerSecret(this, 'key', {
      project: props.projectId,
      secretId: props.keySecretId,
      labels: { managed_by: 'cdktf' },
      annotations: { description: 'Pseudonym key of platform anonymize (HMAC); never leaves prod' },
      replication: {
        userManaged: {
          replicas: [{ location: props.region, customerManagedEncryption: { kmsKeyName: props.secretKmsKeyId } }],
        },
      },
    });
    new SecretManagerSecretIamMember(this, 'key-access', {
      project: props.projectId,
      secretId: this.keySecret.secretId,
      role: 'roles/secretmanager.secretAccessor',
      member: `serviceAccount:${this.serviceAccount.email}`,
    });
    this.job = createOneShotJob(this, 'AnonymizeJob', {
      ...props,
      serviceAccountEmail: this.serviceAccount.email,
      timeoutSeconds: props.timeoutSeconds ?? 3600,
      env: [
        ...Object.entries(props.env).map(([name, value]) => ({ name, value })),
        { name: keyEnv, valueSource: { secretKeyRef: { secret: this.keySecret.secretId, version: 'latest' } } },
      ],
      limits: { cpu: props.cpu ?? '2', memory: props.memory ?? '2Gi' },
    });
  }

  get serviceAccountEmail(): string {
    return this.serviceAccount.email;
  }

  /** Grants `roles/run.developer` on this job only (run.jobs.run, run.executions.get): who may start a load. */
  grantRun(name: string, member: string): CloudRunV2JobIamMember {
    return grantJobRun(this, 'AnonymizeJob', this.job, name, member);
  }

  /** Grants `roles/iam.serviceAccountUser` on the job's identity: needed to deploy a job that runs as it. */
  grantActAs(name: string, member: string): void {
    grantActAsJobIdentity(this, 'AnonymizeJob', this.serviceAccount, name, member);
  }
}
