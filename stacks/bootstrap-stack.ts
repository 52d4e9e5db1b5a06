import type { Construct } from 'constructs';
import { LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider/index.js';
import { DataGoogleProject } from '@cdktf/provider-google/lib/data-google-project/index.js';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket/index.js';
import { KmsKeyRing } from '@cdktf/provider-google/lib/kms-key-ring/index.js';
import { KmsCryptoKey } from '@cdktf/provider-google/lib/kms-crypto-key/index.js';
import { KmsCryptoKeyIamMember } from '@cdktf/provider-google/lib/kms-crypto-key-iam-member/index.js';
import { ProjectService } from '@cdktf/provider-google/lib/project-service/index.js';
import { serviceAgentEmail } from '../constructs/cmek.js';
import type { EnvironmentConfig } from './environments.js';

/**
 * The state buckets the environment stacks' `GcsBackend` points at, one per environment **in that environment's
 * project** (staging credentials can never read prod state). Uses local state (`cdktf.out/stacks/bootstrap/
 * terraform.bootstrap.tfstate`); run it once per project by an administrator and keep that state file in the
 * team vault.
 */
export class BootstrapStack extends TerraformStack {
  constructor(scope: Construct, id: string, environments: readonly EnvironmentConfig[]) {
    super(scope, id);
    new LocalBackend(this, { path: 'terraform.bootstrap.tfstate' });
    new GoogleProvider(this, 'google', {});

    for (const env of environments) {
      const project = env.projectId;
      const number = new DataGoogleProject(this, `${env.name}-project`, { projectId: project }).number;
      const apis = ['cloudkms.googleapis.com', 'storage.googleapis.com'].map(
        (service) =>
          new ProjectService(this, `${env.name}-${service.split('.')[0]}`, {
            project,
            service,
            disableOnDestroy: false,
          }),
      );
      const ring = new KmsKeyRing(this, `${env.name}-ring`, {
        project,
        name: 'tfstate',
        location: env.region,
        dependsOn: apis,
      });
      const key = new KmsCryptoKey(this, `${env.name}-key`, {
        name: 'tfstate-cmek',
        keyRing: ring.id,
        rotationPeriod: '7776000s',
        lifecycle: { preventDestroy: true },
      });
      const agentGrant = new KmsCryptoKeyIamMember(this, `${env.name}-key-agent`, {
        cryptoKeyId: key.id,
        role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
        member: `serviceAccount:${serviceAgentEmail(number, 'storage')}`,
      });
      const bucket = new StorageBucket(this, `${env.name}-state`, {
        project,
        name: env.stateBucket,
        location: env.region,
        uniformBucketLevelAccess: true,
        publicAccessPrevention: 'enforced',
        forceDestroy: false,
        versioning: { enabled: true },
        encryption: { defaultKmsKeyName: key.id },
        lifecycleRule: [{ condition: { numNewerVersions: 20, withState: 'ARCHIVED' }, action: { type: 'Delete' } }],
        lifecycle: { preventDestroy: true },
        dependsOn: [agentGrant],
      });
      new TerraformOutput(this, `${env.name}_state_bucket`, { value: bucket.name });
    }
  }
}
