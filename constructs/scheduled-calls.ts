import { Construct } from 'constructs';
import { CloudSchedulerJob } from '@cdktf/provider-google/lib/cloud-scheduler-job/index.js';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account/index.js';
import { PRACTICE_TIME_ZONE, SCHEDULER_JOBS } from '../contract/resources.js';

/** The services a scheduled call can target. */
export type ScheduledService = 'drchrono-sync' | 'coda-push';

/** One scheduled call. Keys of `jobs` name the Terraform resources. */
export interface ScheduledCall {
  /**
   * The service that serves `path`.
   * @default 'drchrono-sync'
   */
  readonly service?: ScheduledService;
  /** Cron expression in `timeZone`. */
  readonly schedule: string;
  /** Path and query on the target service, e.g. "/sync/all?deep=true". */
  readonly path: string;
  /**
   * Attempt deadline, seconds (15–1800).
   * @default 300
   */
  readonly deadlineSeconds?: number;
}

export interface ScheduledCallsProps {
  readonly projectId: string;
  readonly region: string;
  /** Base URL of each service (`google_cloud_run_v2_service.uri`); also the OIDC audience of calls to it. */
  readonly targets: Readonly<Record<ScheduledService, string>>;
  /**
   * IANA time zone for the cron expressions.
   * @default the practice's ({@link PRACTICE_TIME_ZONE})
   */
  readonly timeZone?: string;
  /**
   * The calls to make.
   * @default incremental sync every 15 min, deep reconcile nightly 02:30, outbox drain every 5 min,
   *          maintenance cleanup daily 03:30
   */
  readonly jobs?: Readonly<Record<string, ScheduledCall>>;
}

/** The contract's jobs (contract/resources.ts `SCHEDULER_JOBS`): the runbooks name them. */
export const DEFAULT_JOBS: Readonly<Record<string, ScheduledCall>> = SCHEDULER_JOBS;

/**
 * Cloud Scheduler jobs calling drchrono-sync and coda-push with a Google-signed OIDC token (audience = the target
 * service's URL, email = a dedicated scheduler service account, which each app allows in `AUTH_OIDC_ALLOWED_EMAILS`;
 * an IAM-guarded target must also grant it `roles/run.invoker`).
 */
export class ScheduledCalls extends Construct {
  readonly serviceAccount: ServiceAccount;
  readonly jobs: Record<string, CloudSchedulerJob> = {};

  constructor(scope: Construct, id: string, props: ScheduledCallsProps) {
    super(scope, id);
    this.serviceAccount = new ServiceAccount(this, 'sa', {
      project: props.projectId,
      accountId: 'scheduler-invoker',
      displayName: 'Cloud Scheduler → drchrono-sync, coda-push',
    });
    for (const [name, job] of Object.entries(props.jobs ?? DEFAULT_JOBS)) {
      const target = props.targets[job.service ?? 'drchrono-sync'];
      this.jobs[name] = new CloudSchedulerJob(this, name, {
        project: props.projectId,
        region: props.region,
        name,
        schedule: job.schedule,
        timeZone: props.timeZone ?? PRACTICE_TIME_ZONE,
        attemptDeadline: `${job.deadlineSeconds ?? 300}s`,
        retryConfig: { retryCount: 1, minBackoffDuration: '30s' },
        httpTarget: {
          httpMethod: 'POST',
          uri: `${target}${job.path}`,
          oidcToken: { serviceAccountEmail: this.serviceAccount.email, audience: target },
        },
      });
    }
  }

  get serviceAccountEmail(): string {
    return this.serviceAccount.email;
  }
}
