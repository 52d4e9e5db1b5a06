import type { Construct } from 'constructs';
import {
  CloudRunV2Job,
  type CloudRunV2JobTemplateTemplateContainersEnv,
} from '@cdktf/provider-google/lib/cloud-run-v2-job/index.js';

/** What differs between the platform's one-shot Cloud Run jobs (MigrationJob, AnonymizeJob). */
export interface OneShotJobSpec {
  readonly projectId: string;
  readonly region: string;
  readonly name: string;
  readonly serviceAccountEmail: string;
  readonly image: string;
  /** Program and arguments replacing the image's entry point, e.g. `["node", "dist/cli/main.js", "migrate"]`. */
  readonly command: readonly string[];
  readonly encryptionKeyId: string;
  readonly networkId: string;
  readonly subnetId: string;
  readonly timeoutSeconds: number;
  readonly env: CloudRunV2JobTemplateTemplateContainersEnv[];
  readonly limits: { readonly cpu: string; readonly memory: string };
}

/**
 * The Cloud Run job both platform jobs are: one task, no retries (a failed run is looked at, not repeated
 * half-understood), CMEK, Direct VPC egress to private ranges only, the services' image with its command replaced.
 * Created as `<scope>/job`, so each construct keeps its Terraform id.
 */
export function createOneShotJob(scope: Construct, owner: string, spec: OneShotJobSpec): CloudRunV2Job {
  const [command, ...args] = spec.command;
  if (!command)
    throw new Error(`${owner}: command must name the program to run, e.g. ["node", "dist/cli/main.js", "<command>"]`);
  return new CloudRunV2Job(scope, 'job', {
    project: spec.projectId,
    name: spec.name,
    location: spec.region,
    deletionProtection: false,
    template: {
      taskCount: 1,
      parallelism: 1,
      template: {
        serviceAccount: spec.serviceAccountEmail,
        encryptionKey: spec.encryptionKeyId,
        maxRetries: 0,
        timeout: `${spec.timeoutSeconds}s`,
        vpcAccess: {
          egress: 'PRIVATE_RANGES_ONLY',
          networkInterfaces: [{ network: spec.networkId, subnetwork: spec.subnetId }],
        },
        containers: [
          {
            image: spec.image,
            command: [command],
            args,
            env: spec.env,
            resources: { limits: { cpu: spec.limits.cpu, memory: spec.limits.memory } },
          },
        ],
      },
    },
  });
}
