import { Construct } from 'constructs';
import { KmsKeyRing } from '@cdktf/provider-google/lib/kms-key-ring/index.js';
import { KmsCryptoKey } from '@cdktf/provider-google/lib/kms-crypto-key/index.js';
import { KmsCryptoKeyIamMember } from '@cdktf/provider-google/lib/kms-crypto-key-iam-member/index.js';
import { validateFormat, validateMember } from './validation.js';

/** The services that get their own customer-managed key. One key per service keeps revocation surgical. */
export type CmekPurpose = 'sql' | 'storage' | 'pubsub' | 'run' | 'secrets' | 'artifacts';

export const CMEK_PURPOSES: readonly CmekPurpose[] = ['sql', 'storage', 'pubsub', 'run', 'secrets', 'artifacts'];

/** Google-managed service agent that must be able to use a purpose's key (`service-<number>@…`). */
const SERVICE_AGENT_DOMAIN: Record<CmekPurpose, string> = {
  sql: 'gcp-sa-cloud-sql.iam.gserviceaccount.com',
  storage: 'gs-project-accounts.iam.gserviceaccount.com',
  pubsub: 'gcp-sa-pubsub.iam.gserviceaccount.com',
  run: 'serverless-robot-prod.iam.gserviceaccount.com',
  secrets: 'gcp-sa-secretmanager.iam.gserviceaccount.com',
  artifacts: 'gcp-sa-artifactregistry.iam.gserviceaccount.com',
};

/** The service agent email for `purpose` in the project with this number. */
export function serviceAgentEmail(projectNumber: string, purpose: CmekPurpose): string {
  return `service-${projectNumber}@${SERVICE_AGENT_DOMAIN[purpose]}`;
}

export interface CmekKeysProps {
  /** Project id that owns the key ring. */
  readonly projectId: string;
  /** Project number, used to name the Google service agents granted use of each key. */
  readonly projectNumber: string;
  /** Key ring location; must equal the region of the resources it encrypts (CMEK keys are regional). */
  readonly location: string;
  /**
   * Key ring name.
   * @default "platform"
   */
  readonly keyRingName?: string;
  /**
   * Automatic rotation period, seconds, written as Terraform expects ("7776000s").
   * @default 7776000 (90 days)
   */
  readonly rotationPeriodSeconds?: number;
}

/**
 * A key ring with one symmetric key per {@link CmekPurpose}, each usable only by the Google service agent that
 * encrypts that service's data. Keys are protected from `terraform destroy` (losing a key loses the data).
 */
export class CmekKeys extends Construct {
  readonly keyRing: KmsKeyRing;
  private readonly keys = new Map<CmekPurpose, KmsCryptoKey>();

  constructor(scope: Construct, id: string, props: CmekKeysProps) {
    super(scope, id);
    validateFormat('CmekKeys', 'location', props.location, /^[a-z]+-[a-z]+\d$/, 'a region such as "us-central1"');
    const rotation = props.rotationPeriodSeconds ?? 7_776_000;

    this.keyRing = new KmsKeyRing(this, 'ring', {
      project: props.projectId,
      name: props.keyRingName ?? 'platform',
      location: props.location,
    });
    for (const purpose of CMEK_PURPOSES) {
      const key = new KmsCryptoKey(this, `key-${purpose}`, {
        name: `${purpose}-cmek`,
        keyRing: this.keyRing.id,
        purpose: 'ENCRYPT_DECRYPT',
        rotationPeriod: `${rotation}s`,
        lifecycle: { preventDestroy: true },
      });
      this.keys.set(purpose, key);
      this.grantEncryptDecrypt(purpose, `serviceAccount:${serviceAgentEmail(props.projectNumber, purpose)}`, 'agent');
    }
  }

  /** The key id (`projects/…/cryptoKeys/…`) for a purpose. */
  keyId(purpose: CmekPurpose): string {
    const key = this.keys.get(purpose);
    if (!key) throw new Error(`CmekKeys: no key for purpose ${purpose}`);
    return key.id;
  }

  /**
   * Grants `roles/cloudkms.cryptoKeyEncrypterDecrypter` (cloudkms.cryptoKeyVersions.useToEncrypt, useToDecrypt) on the
   * purpose's key only.
   */
  grantEncryptDecrypt(purpose: CmekPurpose, member: string, name: string): KmsCryptoKeyIamMember {
    validateMember('CmekKeys', 'member', member);
    return new KmsCryptoKeyIamMember(this, `use-${purpose}-${name}`, {
      cryptoKeyId: this.keyId(purpose),
      role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
      member,
    });
  }
}
