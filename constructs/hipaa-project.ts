import { Construct } from 'constructs';
import { ProjectService } from '@cdktf/provider-google/lib/project-service/index.js';
import { OrgPolicyPolicy } from '@cdktf/provider-google/lib/org-policy-policy/index.js';
import { ProjectIamAuditConfig } from '@cdktf/provider-google/lib/project-iam-audit-config/index.js';
import { CmekKeys } from './cmek.js';
import { validateFormat } from './validation.js';

/**
 * APIs this platform needs. All are on Google Cloud's HIPAA BAA covered-services list (Cloud Run, Cloud SQL,
 * Pub/Sub, Secret Manager, Cloud Scheduler, Cloud KMS, Cloud Storage, Cloud Logging/Monitoring, Compute Engine for
 * VPC and load balancing, Cloud DNS, IAP, Artifact Registry) or are control-plane APIs that hold no PHI (IAM, STS,
 * Service Networking, Org Policy, Resource Manager).
 */
export const BAA_COVERED_APIS = [
  'artifactregistry.googleapis.com',
  'cloudkms.googleapis.com',
  'cloudresourcemanager.googleapis.com',
  'cloudscheduler.googleapis.com',
  'compute.googleapis.com',
  'dns.googleapis.com',
  'iam.googleapis.com',
  'iamcredentials.googleapis.com',
  'iap.googleapis.com',
  'logging.googleapis.com',
  'monitoring.googleapis.com',
  'orgpolicy.googleapis.com',
  'pubsub.googleapis.com',
  'run.googleapis.com',
  'secretmanager.googleapis.com',
  'servicenetworking.googleapis.com',
  'sqladmin.googleapis.com',
  'storage.googleapis.com',
  'sts.googleapis.com',
] as const;

export interface HipaaProjectProps {
  /** Existing project id (projects are created by the organisation admin, outside this code). */
  readonly projectId: string;
  /** Project number; names the Google service agents that use the CMEK keys. */
  readonly projectNumber: string;
  /** Region for the CMEK key ring (keys must live where the data lives). */
  readonly region: string;
  /** Google Workspace customer id (`C0xxxxxxx`) allowed in IAM policies (`iam.allowedPolicyMemberDomains`). */
  readonly workspaceCustomerId: string;
  /**
   * Extra APIs to enable. Only add services on the BAA covered list.
   * @default none
   */
  readonly extraApis?: readonly string[];
  /**
   * Resource location value group for `gcp.resourceLocations`.
   * @default "in:us-locations"
   */
  readonly allowedLocations?: string;
}

/** Boolean (enforce) org-policy constraints applied to the project. */
const ENFORCED_CONSTRAINTS = [
  'iam.disableServiceAccountKeyCreation',
  'iam.disableServiceAccountKeyUpload',
  'sql.restrictPublicIp',
  'sql.restrictAuthorizedNetworks',
  'compute.skipDefaultNetworkCreation',
  'storage.uniformBucketLevelAccess',
  'storage.publicAccessPrevention',
] as const;

/**
 * The project guard rails: BAA-covered APIs only, organisation policies that make the insecure options impossible
 * even by hand in the console, Data Access audit logs for every service, and the CMEK keys everything else uses.
 * Org policies on a project need `roles/orgpolicy.policyAdmin` at the organisation (granted once to the deploy SA).
 */
export class HipaaProject extends Construct {
  readonly projectId: string;
  readonly projectNumber: string;
  readonly keys: CmekKeys;
  /** Enabled APIs keyed by service name, so other constructs can depend on them. */
  readonly apis: Record<string, ProjectService> = {};

  constructor(scope: Construct, id: string, props: HipaaProjectProps) {
    super(scope, id);
    validateFormat('HipaaProject', 'projectId', props.projectId, /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'a GCP project id');
    validateFormat(
      'HipaaProject',
      'workspaceCustomerId',
      props.workspaceCustomerId,
      /^C[0-9a-z]{6,}$/,
      'a Workspace customer id such as "C01abcde2"',
    );
    this.projectId = props.projectId;
    this.projectNumber = props.projectNumber;
    const parent = `projects/${props.projectId}`;

    for (const api of [...BAA_COVERED_APIS, ...(props.extraApis ?? [])]) {
      this.apis[api] = new ProjectService(this, `api-${api.split('.')[0]}`, {
        project: props.projectId,
        service: api,
        disableOnDestroy: false,
      });
    }

    for (const constraint of ENFORCED_CONSTRAINTS) {
      new OrgPolicyPolicy(this, `policy-${constraint}`, {
        name: `${parent}/policies/${constraint}`,
        parent,
        spec: { rules: [{ enforce: 'TRUE' }] },
      });
    }
    new OrgPolicyPolicy(this, 'policy-compute.vmExternalIpAccess', {
      name: `${parent}/policies/compute.vmExternalIpAccess`,
      parent,
      spec: { rules: [{ denyAll: 'TRUE' }] },
    });
    new OrgPolicyPolicy(this, 'policy-gcp.resourceLocations', {
      name: `${parent}/policies/gcp.resourceLocations`,
      parent,
      spec: { rules: [{ values: { allowedValues: [props.allowedLocations ?? 'in:us-locations'] } }] },
    });
    new OrgPolicyPolicy(this, 'policy-iam.allowedPolicyMemberDomains', {
      name: `${parent}/policies/iam.allowedPolicyMemberDomains`,
      parent,
      spec: { rules: [{ values: { allowedValues: [props.workspaceCustomerId] } }] },
    });
    // Cloud Run services may only accept internal and load-balancer traffic: the webhook path goes through the
    // external HTTPS load balancer (Cloud Armor), never straight to *.run.app.
    new OrgPolicyPolicy(this, 'policy-run.allowedIngress', {
      name: `${parent}/policies/run.allowedIngress`,
      parent,
      spec: { rules: [{ values: { allowedValues: ['is:internal', 'is:internal-and-cloud-load-balancing'] } }] },
    });

    // Data Access audit logs (who read or wrote which data) for every service: §164.312(b).
    new ProjectIamAuditConfig(this, 'audit-all-services', {
      project: props.projectId,
      service: 'allServices',
      auditLogConfig: [{ logType: 'ADMIN_READ' }, { logType: 'DATA_READ' }, { logType: 'DATA_WRITE' }],
    });

    this.keys = new CmekKeys(this, 'cmek', {
      projectId: props.projectId,
      projectNumber: props.projectNumber,
      location: props.region,
    });
  }
}
