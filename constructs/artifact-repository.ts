import { Construct } from 'constructs';
import { ArtifactRegistryRepository } from '@cdktf/provider-google/lib/artifact-registry-repository/index.js';
import { ArtifactRegistryRepositoryIamMember } from '@cdktf/provider-google/lib/artifact-registry-repository-iam-member/index.js';
import { validateMember } from './validation.js';

export interface ArtifactRepositoryProps {
  readonly projectId: string;
  readonly region: string;
  /** CMEK key id (artifacts key). */
  readonly kmsKeyId: string;
  /**
   * Repository id.
   * @default "platform"
   */
  readonly repositoryId?: string;
}

/** Docker repository for the one platform image, CMEK-encrypted, with immutable tags. */
export class ArtifactRepository extends Construct {
  readonly repository: ArtifactRegistryRepository;
  private readonly props: ArtifactRepositoryProps;

  constructor(scope: Construct, id: string, props: ArtifactRepositoryProps) {
    super(scope, id);
    this.props = props;
    this.repository = new ArtifactRegistryRepository(this, 'repo', {
      project: props.projectId,
      location: props.region,
      repositoryId: props.repositoryId ?? 'platform',
      format: 'DOCKER',
      kmsKeyName: props.kmsKeyId,
      dockerConfig: { immutableTags: true },
    });
  }

  /** `<region>-docker.pkg.dev/<project>/<repo>` — prefix for image references. */
  get imagePrefix(): string {
    return `${this.props.region}-docker.pkg.dev/${this.props.projectId}/${this.props.repositoryId ?? 'platform'}`;
  }

  /** Grants `roles/artifactregistry.writer` (push, read) on this repository only. */
  grantPush(name: string, member: string): ArtifactRegistryRepositoryIamMember {
    return this.grant(name, member, 'roles/artifactregistry.writer');
  }

  /** Grants `roles/artifactregistry.reader` (pull) on this repository only. */
  grantPull(name: string, member: string): ArtifactRegistryRepositoryIamMember {
    return this.grant(name, member, 'roles/artifactregistry.reader');
  }

  private grant(name: string, member: string, role: string): ArtifactRegistryRepositoryIamMember {
    validateMember('ArtifactRepository', 'member', member);
    return new ArtifactRegistryRepositoryIamMember(this, `iam-${name}`, {
      project: this.props.projectId,
      location: this.props.region,
      repository: this.repository.repositoryId,
      role,
      member,
    });
  }
}
