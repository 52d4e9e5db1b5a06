import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { SqlDatabaseInstance } from '@cdktf/provider-google/lib/sql-database-instance/index.js';
import { SqlDatabase } from '@cdktf/provider-google/lib/sql-database/index.js';
import { SqlUser } from '@cdktf/provider-google/lib/sql-user/index.js';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member/index.js';
import { validateFormat, validateRange } from './validation.js';

export type AvailabilityType = 'ZONAL' | 'REGIONAL';
export type MaintenanceDay = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface PostgresInstanceProps {
  readonly projectId: string;
  readonly region: string;
  /** Instance name (not reusable for about a week after deletion). */
  readonly name: string;
  /** CMEK key id for the instance (`projects/…/cryptoKeys/…`). Required: PHI at rest is customer-key encrypted. */
  readonly encryptionKeyId: string;
  /**
   * Machine tier. ENTERPRISE edition accepts custom tiers (`db-custom-<vCPU>-<MiB>`) and shared-core tiers.
   * @default "db-custom-2-7680"
   */
  readonly tier?: string;
  /**
   * `REGIONAL` = a standby in a second zone with automatic failover (prod); `ZONAL` = single zone.
   * @default "REGIONAL"
   */
  readonly availabilityType?: AvailabilityType;
  /**
   * Initial SSD size, GB; storage grows automatically after that.
   * @default 20
   */
  readonly diskSizeGb?: number;
  /**
   * Days of write-ahead log kept for point-in-time recovery, 1–7 (7 is the ENTERPRISE maximum).
   * @default 7
   */
  readonly transactionLogRetentionDays?: number;
  /**
   * Automated backups kept, count (one per day).
   * @default 30
   */
  readonly retainedBackups?: number;
  /**
   * Daily backup start time, `HH:MM` UTC.
   * @default "08:00" (03:00–04:00 US Central)
   */
  readonly backupStartTime?: string;
  /**
   * Maintenance window day (1 = Monday … 7 = Sunday) and hour (UTC, 0–23).
   * @default Sunday 09:00 UTC (≈ 04:00 US Central, the practice's quietest hour)
   */
  readonly maintenanceWindow?: { readonly day: MaintenanceDay; readonly hourUtc: number };
  /**
   * Projects allowed to connect over Private Service Connect.
   * @default [projectId]
   */
  readonly allowedConsumerProjects?: readonly string[];
  /**
   * Application database name.
   * @default "platform"
   */
  readonly databaseName?: string;
  /**
   * Create this instance as a point-in-time clone of another one in the same project (a disposable copy, e.g. the
   * source `platform anonymize` reads): no deletion protection, so the deploy that drops it from the config deletes
   * it, and no database resource (the clone already holds the source's databases and users).
   * @default a new, empty, deletion-protected instance
   */
  readonly cloneOf?: PointInTimeSource;
}

export interface PointInTimeSource {
  /** The instance cloned (same project). */
  readonly sourceInstanceName: string;
  /** RFC 3339 UTC instant inside the source's PITR window (its transaction-log retention), e.g. `2026-12-01T06:00:00Z`. */
  readonly pointInTime: string;
}

/** What `PointInTimeSource.pointInTime` accepts: a UTC instant, so the clone's point never depends on a zone. */
const POINT_IN_TIME_FORMAT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/**
 * Cloud SQL for PostgreSQL 16, ENTERPRISE edition (set explicitly: omitting it selects ENTERPRISE_PLUS, which rejects
 * custom tiers), private only (no public IPv4, Private Service Connect), TLS only, IAM database authentication,
 * pgaudit, PITR with 7 days of logs, daily backups, deletion protection on both the Terraform and the API side,
 * Query Insights without client addresses, CMEK. Statement logging by duration is never set: statement text can
 * carry PHI into Cloud Logging — Query Insights covers slow queries instead.
 */
export class PostgresInstance extends Construct {
  readonly instance: SqlDatabaseInstance;
  /** The application database; undefined on a clone, which already holds the source's. */
  readonly database?: SqlDatabase;
  private readonly props: PostgresInstanceProps;

  constructor(scope: Construct, id: string, props: PostgresInstanceProps) {
    super(scope, id);
    validateRange('PostgresInstance', 'transactionLogRetentionDays', props.transactionLogRetentionDays, 1, 7, 'days');
    validateRange('PostgresInstance', 'diskSizeGb', props.diskSizeGb, 10, 65_536, 'GB');
    validateRange('PostgresInstance', 'retainedBackups', props.retainedBackups, 7, 365, 'backups');
    validateRange('PostgresInstance', 'maintenanceWindow.hourUtc', props.maintenanceWindow?.hourUtc, 0, 23, 'hours');
    validateFormat('PostgresInstance', 'backupStartTime', props.backupStartTime, /^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');
    validateFormat(
      'PostgresInstance',
      'tier',
      props.tier,
      /^db-(custom-\d+-\d+|f1-micro|g1-small)$/,
      'an ENTERPRISE tier such as "db-custom-2-7680" or "db-g1-small"',
    );
    validateFormat(
      'PostgresInstance',
      'cloneOf.pointInTime',
      props.cloneOf?.pointInTime,
      POINT_IN_TIME_FORMAT,
      'an RFC 3339 UTC instant such as "2026-12-01T06:00:00Z"',
    );
    this.props = props;
    const disposable = props.cloneOf !== undefined;
    const window = props.maintenanceWindow ?? { day: 7, hourUtc: 9 };

    this.instance = new SqlDatabaseInstance(this, 'instance', {
      project: props.projectId,
      name: props.name,
      region: props.region,
      databaseVersion: 'POSTGRES_16',
      encryptionKeyName: props.encryptionKeyId,
      ...(props.cloneOf && {
        clone: { sourceInstanceName: props.cloneOf.sourceInstanceName, pointInTime: props.cloneOf.pointInTime },
      }),
      deletionProtection: !disposable,
      settings: {
        edition: 'ENTERPRISE',
        tier: props.tier ?? 'db-custom-2-7680',
        availabilityType: props.availabilityType ?? 'REGIONAL',
        diskType: 'PD_SSD',
        diskSize: props.diskSizeGb ?? 20,
        diskAutoresize: true,
        deletionProtectionEnabled: !disposable,
        ipConfiguration: {
          ipv4Enabled: false,
          sslMode: 'ENCRYPTED_ONLY',
          pscConfig: [
            { pscEnabled: true, allowedConsumerProjects: [...(props.allowedConsumerProjects ?? [props.projectId])] },
          ],
        },
        backupConfiguration: {
          enabled: true,
          pointInTimeRecoveryEnabled: true,
          transactionLogRetentionDays: props.transactionLogRetentionDays ?? 7,
          startTime: props.backupStartTime ?? '08:00',
          location: 'us',
          backupRetentionSettings: { retainedBackups: props.retainedBackups ?? 30, retentionUnit: 'COUNT' },
        },
        maintenanceWindow: { day: window.day, hour: window.hourUtc, updateTrack: 'stable' },
        databaseFlags: [
          { name: 'cloudsql.iam_authentication', value: 'on' },
          { name: 'cloudsql.enable_pgaudit', value: 'on' },
          // Statement classes only; parameters are never logged (pgaudit.log_parameter stays off).
          { name: 'pgaudit.log', value: 'ddl,role,write' },
          { name: 'log_connections', value: 'on' },
          { name: 'log_disconnections', value: 'on' },
        ],
        insightsConfig: {
          queryInsightsEnabled: true,
          recordClientAddress: false,
          recordApplicationTags: true,
          queryStringLength: 1024,
        },
        userLabels: { 'data-class': 'phi', ...(disposable && { lifecycle: 'disposable-clone' }) },
      },
    });
    if (!disposable)
      this.database = new SqlDatabase(this, 'database', {
        project: props.projectId,
        instance: this.instance.name,
        name: props.databaseName ?? 'platform',
      });
  }

  /** The database name applications connect to. */
  get databaseName(): string {
    return this.database?.name ?? this.props.databaseName ?? 'platform';
  }

  /**
   * Lets a service account log in with IAM database authentication: creates its `CLOUD_IAM_SERVICE_ACCOUNT` user
   * (`addIamUser`) and grants it the login (`grantIamLogin`). Table privileges are granted in SQL by the migrations.
   */
  grantConnect(name: string, serviceAccountEmail: string): SqlUser {
    this.grantIamLogin(name, serviceAccountEmail);
    return this.addIamUser(name, serviceAccountEmail);
  }

  /**
   * Grants `roles/cloudsql.client` (cloudsql.instances.connect, .get) and `roles/cloudsql.instanceUser`
   * (cloudsql.instances.login), both conditioned on this instance only (Cloud SQL has no per-instance IAM policy).
   * On a clone this is the whole grant: the user came with the source's data.
   */
  grantIamLogin(name: string, serviceAccountEmail: string): void {
    const condition = {
      title: `only-${this.props.name}`,
      expression: `resource.name.startsWith("projects/${this.props.projectId}/instances/${this.props.name}")`,
    };
    for (const role of ['roles/cloudsql.client', 'roles/cloudsql.instanceUser']) {
      new ProjectIamMember(this, `${name}-${role.split('.')[1]}`, {
        project: this.props.projectId,
        role,
        member: `serviceAccount:${serviceAccountEmail}`,
        condition,
      });
    }
  }

  /**
   * Creates the `CLOUD_IAM_SERVICE_ACCOUNT` database user without any IAM grant: the login cannot be used on this
   * instance, but every clone of it carries the user (the anonymize job logs in to a clone only).
   */
  addIamUser(name: string, serviceAccountEmail: string): SqlUser {
    if (this.props.cloneOf)
      throw new Error(
        `PostgresInstance ${this.props.name}: a clone already has the source's users; create ${name}'s on the source`,
      );
    return new SqlUser(this, `${name}-user`, {
      project: this.props.projectId,
      instance: this.instance.name,
      // Cloud SQL names IAM service-account users by the email without ".gserviceaccount.com".
      name: Fn.trimsuffix(serviceAccountEmail, '.gserviceaccount.com'),
      type: 'CLOUD_IAM_SERVICE_ACCOUNT',
    });
  }
}
