// The names both sides of the deploy use: the stacks create these resources, the services, the CLI and the runbooks
// address them. Each is spelled here once (STYLE §12); a test checks the synthesized stacks against this module.

/** The two Cloud Run services (one image; `platform serve <name>` picks the entry point). */
export const SERVICE_NAMES = ['drchrono-sync', 'coda-push'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** The practice's IANA time zone: DrChrono writes practice-local timestamps, schedules run on practice time. */
export const PRACTICE_TIME_ZONE = 'America/New_York';

/**
 * Most rows in one Coda upsert call (seed decision: Coda documents only a payload cap of a few MB, not a row cap),
 * and so also the most row ids in one change event (`MAX_IDS_PER_MESSAGE` in sync/events/types.ts): the relay sizes a
 * message to fit one upsert call, so coda-push spends one write-limiter slot (10 writes / 6 s per token) per message.
 * One constant, so the two cannot drift apart.
 */
export const CODA_MAX_ROWS_PER_UPSERT = 500;

/** Change-event topic id. */
export const CHANGE_EVENTS_TOPIC = 'change-events';

/** Pub/Sub names derived from a topic id, the same in Terraform, `platform pubsub setup` and `platform dlq replay`. */
export function changeEventNames(topic: string = CHANGE_EVENTS_TOPIC) {
  return {
    topic,
    /** Push subscription that delivers to coda-push's `/pubsub/push`. */
    pushSubscription: `${topic}-coda-push`,
    /** Pull subscription used instead where there is no push endpoint (local emulator tests). */
    pullSubscription: `${topic}-sub`,
    deadLetterTopic: `${topic}-dlq`,
    /** The dead-letter topic's own subscription; `platform dlq replay` drains it. */
    deadLetterSubscription: `${topic}-dlq`,
  } as const;
}

/** Cloud SQL database of the platform. */
export const DATABASE_NAME = 'platform';
/** NOLOGIN role holding the application's grants (drizzle/0001_audit.sql); every service login is a member. */
export const APP_DATABASE_ROLE = 'platform_app';

/**
 * Secret Manager secret ids, what each holds, and which service reads it as which environment variable. Values are
 * added out of band (`gcloud secrets versions add …`), never by Terraform.
 */
export const SECRETS = {
  'drchrono-client-id': {
    description: 'DrChrono OAuth client id',
    service: 'drchrono-sync',
    env: 'DRCHRONO_CLIENT_ID',
  },
  'drchrono-client-secret': {
    description: 'DrChrono OAuth client secret',
    service: 'drchrono-sync',
    env: 'DRCHRONO_CLIENT_SECRET',
  },
  'drchrono-token': {
    description:
      'DrChrono OAuth token pair (JSON {access_token, refresh_token, expires_at}); rotated by drchrono-sync on every refresh',
    service: 'drchrono-sync',
    // Read and written through the Secret Manager API (DRCHRONO_TOKEN_STORE), not mounted as a variable.
    env: undefined,
  },
  'drchrono-webhook-secret': {
    description: 'DrChrono webhook secret token',
    service: 'drchrono-sync',
    env: 'DRCHRONO_WEBHOOK_SECRET',
  },
  'deepcura-key': {
    description: 'Deep Cura Gridhook AES-256 key, base64 (32 bytes)',
    service: 'drchrono-sync',
    env: 'DEEPCURA_KEY',
  },
  'coda-api-token': { description: 'Coda API token for the practice doc', service: 'coda-push', env: 'CODA_API_TOKEN' },
  'coda-mapping': {
    description:
      "Coda column map (JSON, `platform coda map` output or .local/coda-mapping.json's format) for the environment's doc",
    service: 'coda-push',
    env: 'CODA_MAPPING_JSON',
  },
} as const satisfies Record<string, { description: string; service: ServiceName; env: string | undefined }>;
export type SecretId = keyof typeof SECRETS;

/** The secret that holds the DrChrono token pair. */
export const DRCHRONO_TOKEN_SECRET: SecretId = 'drchrono-token';

/** `DRCHRONO_TOKEN_STORE` for a Secret Manager secret: what the stack sets and the service parses. */
export function secretManagerTokenStore(projectId: string, secretId: string = DRCHRONO_TOKEN_SECRET): string {
  return `secret-manager:projects/${projectId}/secrets/${secretId}`;
}

/** Cloud SQL IAM database user of a service account: its email without `.gserviceaccount.com` (Cloud SQL's rule). */
export function iamDatabaseUser(serviceAccountEmail: string): string {
  return serviceAccountEmail.replace(/\.gserviceaccount\.com$/, '');
}

/** Service account id (the part before `@`) of each service's runtime identity, and of the migration job. */
export const SERVICE_ACCOUNT_IDS = {
  'drchrono-sync': 'run-drchrono-sync',
  'coda-push': 'run-coda-push',
  migrate: 'run-migrate',
  anonymize: 'run-anonymize',
} as const;

/** The Cloud Run job that applies migrations before a deploy's new revisions take traffic. */
export const MIGRATE_JOB_NAME = 'platform-migrate';

/**
 * The prod-project Cloud Run job that loads staging with de-identified data (`platform anonymize`), and the prod
 * secret holding its pseudonym key (docs/runbooks/anonymize-staging.md). The key never leaves prod.
 */
export const ANONYMIZE_JOB_NAME = 'platform-anonymize-staging';
export const ANONYMIZE_KEY_SECRET = 'anonymize-key';

/** Every point-in-time clone the anonymize job reads is named with this prefix (the left-running alert matches it). */
export const ANONYMIZE_SOURCE_INSTANCE_PREFIX = 'anonymize-source-';

/**
 * The point-in-time clone of prod's database that the anonymize job reads, named by its instant
 * (`2026-12-01T06:00:00Z` → `anonymize-source-20261201t060000z`): Cloud SQL keeps a deleted instance's name for about
 * a week, so every load needs a new one. It does not start with the prod instance's name, so the services'
 * conditioned logins (`…/instances/platform-prod*`) never reach it.
 */
export function anonymizeSourceInstanceName(pointInTime: string): string {
  return `${ANONYMIZE_SOURCE_INSTANCE_PREFIX}${pointInTime.replace(/\.\d+/, '').replace(/[-:]/g, '').toLowerCase()}`;
}

/** Scheduler jobs: which service, which path (also what the runbooks tell on-call to force-run). */
export const SCHEDULER_JOBS = {
  'sync-incremental': { schedule: '*/15 * * * *', service: 'drchrono-sync', path: '/sync/all', deadlineSeconds: 300 },
  'sync-deep': { schedule: '30 2 * * *', service: 'drchrono-sync', path: '/sync/all?deep=true', deadlineSeconds: 1800 },
  'outbox-drain': { schedule: '*/5 * * * *', service: 'drchrono-sync', path: '/outbox/drain', deadlineSeconds: 60 },
  // processed_messages belongs to coda-push, which serves the cleanup.
  'maintenance-cleanup': {
    schedule: '30 3 * * *',
    service: 'coda-push',
    path: '/maintenance/cleanup',
    deadlineSeconds: 300,
  },
} as const satisfies Record<string, { schedule: string; service: ServiceName; path: string; deadlineSeconds: number }>;

/**
 * DrChrono calls per clock hour that the shared call budget lets all instances spend together: DrChrono's 500 minus a
 * margin for calls made outside the budget. The budget (sync/drchrono/budget.ts) and the dashboard's "used vs budget"
 * chart (constructs/dashboard.ts) read the same numbers.
 */
export const DRCHRONO_HOURLY_CALL_LIMIT = 480;
/** Calls per hour only webhook-triggered work may use (sync work gets the limit minus this). */
export const DRCHRONO_WEBHOOK_CALL_RESERVE = 100;

/**
 * `event` values of the log lines that monitoring (log-based metrics, alert filters, the dashboard) and the runbooks
 * match on. Each line carries ids, counts, durations and closed-set names only — never PHI — because log-based metric
 * labels are extracted from them (constructs/log-metrics.ts; rule HIPAA-LOG-1 allowlists the label fields).
 */
export const LOG_EVENTS = {
  /** INFO `{resource, kind}`: a sync operation started. */
  syncStarted: 'sync.started',
  /** INFO `{resource, kind, …counts}`: a sync operation succeeded. */
  syncCompleted: 'sync.completed',
  /** ERROR `{resource, kind, errorClass}`: a sync operation failed. */
  syncFailed: 'sync.failed',
  /** INFO `{kind: 'sync'|'webhook', usedThisHour, limit}`: one DrChrono call reserved in the shared hourly budget. */
  drchronoCallReserved: 'drchrono.call_reserved',
  /** INFO `{pending}`: pending outbox rows, logged by every outbox drain (the scheduler calls it every 5 min). */
  outboxPending: 'outbox.pending',
  /** INFO `{table, rows, ageMs}`: a change event applied in Coda; `ageMs` runs from the oldest outbox commit. */
  changeEventPushed: 'change_event.pushed',
  /** WARNING `{pathTemplate, status, errorClass}`: a Coda call failed and is retried (status 429: rate limited). */
  codaCallRetry: 'coda_call_retry',
  /** WARNING `{table, errorClass}`: a whole push attempt failed and is retried (`CodaRateLimitedError`: a 429). */
  codaPushRetry: 'coda_push_retry',
  /**
   * ERROR `{openCriticalReviews, …ids}`: critical lab review items open longer than LAB_CRITICAL_REVIEW_MINUTES, logged
   * by every lab cycle while any is (ids and counts only), so `openCriticalReviews` is the current count.
   */
  labCriticalReviewOverdue: 'lab.critical_review_overdue',
} as const;
