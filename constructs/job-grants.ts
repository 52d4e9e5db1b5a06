import type { Construct } from 'constructs';
import type { CloudRunV2Job } from '@cdktf/provider-google/lib/cloud-run-v2-job/index.js';
import { CloudRunV2JobIamMember } from '@cdktf/provider-google/lib/cloud-run-v2-job-iam-member/index.js';
import type { ServiceAccount } from '@cdktf/provider-google/lib/service-account/index.js';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member/index.js';
import { validateMember } from './validation.js';

// The two grants every Cloud Run job construct offers (MigrationJob, AnonymizeJob), created in the job construct's
// own scope so their Terraform ids stay `<job>/iam-run-<name>` and `<job>/actas-<name>`.

/** `roles/run.developer` on this job only (run.jobs.run, run.executions.get): who may start it. */
export function grantJobRun(
  scope: Construct,
  owner: string,
  job: CloudRunV2Job,
  name: string,
  member: string,
): CloudRunV2JobIamMember {
  validateMember(owner, 'member', member);
  return new CloudRunV2JobIamMember(scope, `iam-run-${name}`, {
    project: job.project,
    location: job.location,
    name: job.name,
    role: 'roles/run.developer',
    member,
  });
}

/** `roles/iam.serviceAccountUser` on the job's identity: needed to deploy a job that runs as it. */
export function grantActAsJobIdentity(
  scope: Construct,
  owner: string,
  identity: ServiceAccount,
  name: string,
  member: string,
): void {
  validateMember(owner, 'member', member);
  new ServiceAccountIamMember(scope, `actas-${name}`, {
    serviceAccountId: identity.name,
    role: 'roles/iam.serviceAccountUser',
    member,
  });
}
