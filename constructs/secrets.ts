import { Construct } from 'constructs';
import { SecretManagerSecret } from '@cdktf/provider-google/lib/secret-manager-secret/index.js';
import { SecretManagerSecretIamMember } from '@cdktf/provider-google/lib/secret-manager-secret-iam-member/index.js';
import { validateFormat, validateMember } from './validation.js';

export interface SecretSpec {
  /** What the secret holds and who rotates it (shown in the console). */
  readonly description: string;
}

export interface SecretsProps {
  readonly projectId: string;
  /** The single region replicas live in (user-managed replication keeps PHI-adjacent data in-region). */
  readonly region: string;
  /** CMEK key id (must be in `region`). */
  readonly kmsKeyId: string;
  /** Secrets keyed by secret id; the key is also the Terraform address, so reordering never recreates one. */
  readonly secrets: Readonly<Record<string, SecretSpec>>;
}

/**
 * Secret Manager containers, user-managed replication in one region with CMEK. Only the containers are managed
 * here: values are added out of band (`gcloud secrets versions add`), so **no secret value ever enters Terraform
 * state**. Access is granted per secret to the one identity that reads it.
 */
export class Secrets extends Construct {
  private readonly secrets = new Map<string, SecretManagerSecret>();

  constructor(scope: Construct, id: string, props: SecretsProps) {
    super(scope, id);
    for (const [secretId, spec] of Object.entries(props.secrets)) {
      validateFormat('Secrets', `secrets.${secretId}`, secretId, /^[a-z][a-z0-9-]{2,254}$/, 'a lower-case secret id');
      this.secrets.set(
        secretId,
        new SecretManagerSecret(this, secretId, {
          project: props.projectId,
          secretId,
          labels: { managed_by: 'cdktf' },
          annotations: { description: spec.description },
          replication: {
            userManaged: {
              replicas: [{ location: props.region, customerManagedEncryption: { kmsKeyName: props.kmsKeyId } }],
            },
          },
        }),
      );
    }
  }

  /** The secret's id, for `value_source.secret_key_ref.secret`. Throws on an unknown key. */
  secretId(key: string): string {
    return this.get(key).secretId;
  }

  private get(key: string): SecretManagerSecret {
    const secret = this.secrets.get(key);
    if (!secret) {
      throw new Error(
        `Secrets: unknown secret "${key}"; declare it in props.secrets (have: ${[...this.secrets.keys()].join(', ')})`,
      );
    }
    return secret;
  }

  /** Generic grant on one secret. */
  grant(key: string, name: string, member: string, role: string): SecretManagerSecretIamMember {
    validateMember('Secrets', 'member', member);
    const secret = this.get(key);
    return new SecretManagerSecretIamMember(this, `${key}-${name}`, {
      project: secret.project,
      secretId: secret.secretId,
      role,
      member,
    });
  }

  /** Grants `roles/secretmanager.secretAccessor` (secretmanager.versions.access) on one secret. */
  grantSecretAccess(key: string, name: string, member: string): SecretManagerSecretIamMember {
    return this.grant(key, `access-${name}`, member, 'roles/secretmanager.secretAccessor');
  }

  /**
   * Grants `roles/secretmanager.secretVersionAdder` (secretmanager.versions.add) on one secret — for the DrChrono
   * token pair, which drchrono-sync rotates on every refresh.
   */
  grantAddVersion(key: string, name: string, member: string): SecretManagerSecretIamMember {
    return this.grant(key, `add-${name}`, member, 'roles/secretmanager.secretVersionAdder');
  }
}
