import { Construct } from 'constructs';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket/index.js';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member/index.js';
import { LoggingProjectSink } from '@cdktf/provider-google/lib/logging-project-sink/index.js';
import { validateRange } from './validation.js';

/** HIPAA documentation retention: 6 years minimum (§164.316(b)(2)); we keep 7 (7 × 365 × 86400 s + leap days). */
export const SEVEN_YEARS_SECONDS = 220_752_000;

export interface AuditArchiveProps {
  readonly projectId: string;
  /** Bucket location (a US region or the "US" multi-region). */
  readonly location: string;
  /** Globally unique bucket name. */
  readonly bucketName: string;
  /** CMEK key id for the bucket (must be usable by the Cloud Storage service agent). */
  readonly kmsKeyId: string;
  /**
   * Retention, seconds; objects cannot be deleted or replaced before then.
   * @default 220752000 (7 years)
   */
  readonly retentionSeconds?: number;
  /**
   * Lock the retention policy. **Irreversible**: a locked bucket cannot be deleted until every object has aged out,
   * and the period can only grow. On in prod; staging leaves it off so the environment can be torn down.
   * @default true
   */
  readonly lockRetention?: boolean;
  /**
   * Logs to archive (Cloud Logging filter).
   * @default every Cloud Audit Log plus Cloud Run application logs and load-balancer request logs
   */
  readonly filter?: string;
}

export const DEFAULT_ARCHIVE_FILTER =
  'logName:"cloudaudit.googleapis.com" OR resource.type="cloud_run_revision" OR resource.type="http_load_balancer"';

/**
 * Tamper-evident long-term archive of audit and application logs: a log sink writing to a CMEK bucket with uniform
 * access, public access prevention enforced, versioning and a (locked in prod) 7-year retention policy. The sink's
 * writer identity gets `roles/storage.objectCreator` on this bucket only — it can add objects, never read or delete.
 */
export class AuditArchive extends Construct {
  readonly bucket: StorageBucket;
  readonly sink: LoggingProjectSink;

  constructor(scope: Construct, id: string, props: AuditArchiveProps) {
    super(scope, id);
    validateRange(
      'AuditArchive',
      'retentionSeconds',
      props.retentionSeconds,
      189_216_000,
      3_155_760_000,
      'seconds (6–100 years)',
    );

    this.bucket = new StorageBucket(this, 'bucket', {
      project: props.projectId,
      name: props.bucketName,
      location: props.location,
      storageClass: 'STANDARD',
      uniformBucketLevelAccess: true,
      publicAccessPrevention: 'enforced',
      forceDestroy: false,
      versioning: { enabled: true },
      encryption: { defaultKmsKeyName: props.kmsKeyId },
      retentionPolicy: {
        retentionPeriod: props.retentionSeconds ?? SEVEN_YEARS_SECONDS,
        isLocked: props.lockRetention ?? true,
      },
      lifecycleRule: [{ condition: { age: 365 }, action: { type: 'SetStorageClass', storageClass: 'ARCHIVE' } }],
      labels: { 'data-class': 'audit' },
    });
    this.sink = new LoggingProjectSink(this, 'sink', {
      project: props.projectId,
      name: 'audit-archive',
      destination: `storage.googleapis.com/${this.bucket.name}`,
      filter: props.filter ?? DEFAULT_ARCHIVE_FILTER,
      uniqueWriterIdentity: true,
    });
    new StorageBucketIamMember(this, 'sink-writer', {
      bucket: this.bucket.name,
      role: 'roles/storage.objectCreator',
      member: this.sink.writerIdentity,
    });
  }
}
