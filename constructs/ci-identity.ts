import { Construct } from 'constructs';
import { IamWorkloadIdentityPool } from '@cdktf/provider-google/lib/iam-workload-identity-pool/index.js';
import { IamWorkloadIdentityPoolProvider } from '@cdktf/provider-google/lib/iam-workload-identity-pool-provider/index.js';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account/index.js';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member/index.js';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member/index.js';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member/index.js';
import { ConstructPropsError, validateFormat } from './validation.js';

/** Roles that are never granted to CI: they include every permission, including IAM and key management. */
export const FORBIDDEN_CI_ROLES = ['roles/owner', 'roles/editor', 'roles/iam.securityAdmin'] as const;

/**
 * Project roles the deploy identity needs to apply the platform stack: one admin role per managed service and
 * nothing broader. (Org policies additionally need `roles/orgpolicy.policyAdmin` at the organisation, granted once
 * by the org admin — see README "Deploying".)
 */
export const DEFAULT_DEPLOY_ROLES = [
  'roles/artifactregistry.admin',
  'roles/cloudkms.admin',
  'roles/cloudscheduler.admin',
  'roles/cloudsql.admin',
  'roles/compute.loadBalancerAdmin',
  'roles/compute.networkAdmin',
  'roles/compute.securityAdmin',
  'roles/dns.admin',
  'roles/iam.serviceAccountAdmin',
  'roles/iam.workloadIdentityPoolAdmin',
  'roles/iap.admin',
  'roles/logging.configWriter',
  'roles/monitoring.editor',
  'roles/pubsub.admin',
  'roles/resourcemanager.projectIamAdmin',
  'roles/run.admin',
  'roles/secretmanager.admin',
  'roles/serviceusage.serviceUsageAdmin',
  'roles/storage.admin',
] as const;

/** Read-only roles for `terraform plan` on pull requests. */
export const DEFAULT_PLAN_ROLES = ['roles/viewer', 'roles/iam.securityReviewer'] as const;

export interface CiIdentityProps {
  readonly projectId: string;
  /** GitHub repository allowed to federate, `owner/name`. Tokens from any other repository are rejected. */
  readonly githubRepository: string;
  /** GitHub environment whose jobs may deploy (e.g. "staging", "prod"); matched on the token's `environment`. */
  readonly deployEnvironment: string;
  /** Terraform state bucket; both identities get object access on it (plan takes the state lock too). */
  readonly stateBucket: string;
  /**
   * Project roles for the deploy identity. Owner, editor and security admin are refused.
   * @default DEFAULT_DEPLOY_ROLES
   */
  readonly deployRoles?: readonly string[];
  /**
   * Project roles for the plan identity (pull requests).
   * @default DEFAULT_PLAN_ROLES
   */
  readonly planRoles?: readonly string[];
}

/**
 * Keyless CI: a Workload Identity Federation pool with a GitHub OIDC provider whose `attribute_condition` pins the
 * repository, a **plan** service account any workflow of that repository may impersonate (read-only roles), and a
 * **deploy** service account only jobs running in the named GitHub environment (approval-gated in prod) may
 * impersonate. No service-account keys exist anywhere.
 */
export class CiIdentity extends Construct {
  readonly pool: IamWorkloadIdentityPool;
  readonly provider: IamWorkloadIdentityPoolProvider;
  readonly planServiceAccount: ServiceAccount;
  readonly deployServiceAccount: ServiceAccount;

  constructor(scope: Construct, id: string, props: CiIdentityProps) {
    super(scope, id);
    validateFormat('CiIdentity', 'githubRepository', props.githubRepository, /^[\w.-]+\/[\w.-]+$/, '"owner/name"');
    const deployRoles = props.deployRoles ?? DEFAULT_DEPLOY_ROLES;
    for (const role of [...deployRoles, ...(props.planRoles ?? [])]) {
      if ((FORBIDDEN_CI_ROLES as readonly string[]).includes(role)) {
        throw new ConstructPropsError(
          `CiIdentity: role ${role} is too broad for CI; list the service admin roles the stack needs instead.`,
        );
      }
    }

    this.pool = new IamWorkloadIdentityPool(this, 'pool', {
      project: props.projectId,
      workloadIdentityPoolId: 'github',
      displayName: 'GitHub Actions',
    });
    this.provider = new IamWorkloadIdentityPoolProvider(this, 'provider', {
      project: props.projectId,
      workloadIdentityPoolId: this.pool.workloadIdentityPoolId,
      workloadIdentityPoolProviderId: 'github-actions',
      displayName: 'GitHub Actions OIDC',
      attributeMapping: {
        'google.subject': 'assertion.sub',
        'attribute.repository': 'assertion.repository',
        'attribute.ref': 'assertion.ref',
        'attribute.environment': 'assertion.environment',
      },
      attributeCondition: `assertion.repository == "${props.githubRepository}"`,
      oidc: { issuerUri: 'https://token.actions.githubusercontent.com' },
    });

    this.planServiceAccount = new ServiceAccount(this, 'plan-sa', {
      project: props.projectId,
      accountId: 'ci-plan',
      displayName: 'CI terraform plan (read-only)',
    });
    this.deployServiceAccount = new ServiceAccount(this, 'deploy-sa', {
      project: props.projectId,
      accountId: 'ci-deploy',
      displayName: `CI deploy (GitHub environment ${props.deployEnvironment})`,
    });
    new ServiceAccountIamMember(this, 'plan-wif', {
      serviceAccountId: this.planServiceAccount.name,
      role: 'roles/iam.workloadIdentityUser',
      member: `principalSet://iam.googleapis.com/${this.pool.name}/attribute.repository/${props.githubRepository}`,
    });
    new ServiceAccountIamMember(this, 'deploy-wif', {
      serviceAccountId: this.deployServiceAccount.name,
      role: 'roles/iam.workloadIdentityUser',
      member: `principalSet://iam.googleapis.com/${this.pool.name}/attribute.environment/${props.deployEnvironment}`,
    });
    for (const role of props.planRoles ?? DEFAULT_PLAN_ROLES) {
      new ProjectIamMember(this, `plan-${role.replace('roles/', '')}`, {
        project: props.projectId,
        role,
        member: `serviceAccount:${this.planServiceAccount.email}`,
      });
    }
    for (const role of deployRoles) {
      new ProjectIamMember(this, `deploy-${role.replace('roles/', '')}`, {
        project: props.projectId,
        role,
        member: `serviceAccount:${this.deployServiceAccount.email}`,
      });
    }
    for (const [who, sa] of [
      ['plan', this.planServiceAccount],
      ['deploy', this.deployServiceAccount],
    ] as const) {
      new StorageBucketIamMember(this, `${who}-state`, {
        bucket: props.stateBucket,
        role: 'roles/storage.objectUser',
        member: `serviceAccount:${sa.email}`,
      });
    }
  }

  /** The provider's full resource name, for `google-github-actions/auth` `workload_identity_provider`. */
  get providerName(): string {
    return this.provider.name;
  }
}
