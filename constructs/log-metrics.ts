import { Construct } from 'constructs';
import { LoggingMetric } from '@cdktf/provider-google/lib/logging-metric/index.js';
import { LOG_EVENTS } from '../contract/resources.js';

// Log-based metrics built from the services' structured log lines (contract LOG_EVENTS). Labels come only from
// closed-set, non-PHI fields (LOG_METRIC_LABEL_FIELDS; rule HIPAA-LOG-1 checks every google_logging_metric), values
// only from counts and durations.

/**
 * jsonPayload fields a log-based metric may turn into a label: service names, sync kinds, table and resource names,
 * event names, error class names, budget kinds. Never ids, never free text. Rule HIPAA-LOG-1 enforces this list.
 */
export const LOG_METRIC_LABEL_FIELDS = ['service', 'kind', 'resource', 'table', 'event', 'errorClass'] as const;
export type LogMetricLabelField = (typeof LOG_METRIC_LABEL_FIELDS)[number];

/** Metric names (`logging.googleapis.com/user/<name>`), spelled once for the dashboard, the SLOs and the tests. */
export const LOG_METRICS = {
  syncRuns: 'sync_runs',
  drchronoCalls: 'drchrono_calls',
  drchronoCallsUsed: 'drchrono_calls_used_this_hour',
  changeEventAge: 'change_event_age',
  outboxPending: 'outbox_pending',
  codaRateLimited: 'coda_rate_limited',
  openCriticalLabReviews: 'open_critical_lab_reviews',
} as const;
export type LogMetricKey = keyof typeof LOG_METRICS;

/** `metric.type` of a user-defined log-based metric. */
export const logMetricType = (name: string): string => `logging.googleapis.com/user/${name}`;

const onCloudRun = (events: readonly string[], extra = ''): string =>
  `resource.type="cloud_run_revision" AND jsonPayload.event=(${events.map((e) => `"${e}"`).join(' OR ')})${extra}`;

/** Exponential buckets: `scale × growthFactor^i`, 40 finite buckets. */
const buckets = (scale: number, growthFactor = 1.5) => ({
  exponentialBuckets: { numFiniteBuckets: 40, growthFactor, scale },
});

interface MetricSpec {
  readonly description: string;
  readonly filter: string;
  /** Label key → jsonPayload field it is extracted from. */
  readonly labels?: Readonly<Record<string, LogMetricLabelField>>;
  /** Counter (one per matching line) or a distribution of a numeric jsonPayload field. */
  readonly value:
    { readonly counter: true } | { readonly field: string; readonly unit: string; readonly scale: number };
}

const SPECS: Record<LogMetricKey, MetricSpec> = {
  syncRuns: {
    description: 'Sync operations by outcome (started, completed, failed) and kind; no PHI.',
    filter: onCloudRun([LOG_EVENTS.syncStarted, LOG_EVENTS.syncCompleted, LOG_EVENTS.syncFailed]),
    labels: { event: 'event', kind: 'kind' },
    value: { counter: true },
  },
  drchronoCalls: {
    description: 'DrChrono calls reserved in the shared hourly budget, by kind (sync or webhook).',
    filter: onCloudRun([LOG_EVENTS.drchronoCallReserved]),
    labels: { kind: 'kind' },
    value: { counter: true },
  },
  drchronoCallsUsed: {
    description: "Calls used so far in the clock hour, as each reservation saw it (its max is the hour's use).",
    filter: onCloudRun([LOG_EVENTS.drchronoCallReserved]),
    labels: { kind: 'kind' },
    value: { field: 'usedThisHour', unit: '1', scale: 1 },
  },
  changeEventAge: {
    description: 'Milliseconds from the oldest outbox commit of a change event to Coda applying it, by table.',
    filter: onCloudRun([LOG_EVENTS.changeEventPushed]),
    labels: { table: 'table' },
    value: { field: 'ageMs', unit: 'ms', scale: 10 },
  },
  outboxPending: {
    description: 'Pending outbox rows, sampled by every outbox drain.',
    filter: onCloudRun([LOG_EVENTS.outboxPending]),
    value: { field: 'pending', unit: '1', scale: 1 },
  },
  codaRateLimited: {
    description: 'Coda answers 429 (rate limited): retried calls and retried push attempts.',
    filter:
      'resource.type="cloud_run_revision" AND (' +
      `(jsonPayload.event="${LOG_EVENTS.codaCallRetry}" AND jsonPayload.status=429) OR ` +
      `(jsonPayload.event="${LOG_EVENTS.codaPushRetry}" AND jsonPayload.errorClass="CodaRateLimitedError"))`,
    labels: { event: 'event' },
    value: { counter: true },
  },
  openCriticalLabReviews: {
    description: 'Critical lab reviews still open past their deadline, sampled by the labs review check.',
    filter: onCloudRun([LOG_EVENTS.labCriticalReviewOverdue]),
    value: { field: 'openCriticalReviews', unit: '1', scale: 1 },
  },
};

export interface LogMetricsProps {
  readonly projectId: string;
}

/**
 * The log-based metrics the dashboard and alerts read (see {@link LOG_METRICS}): counters for sync runs, DrChrono
 * calls by kind and Coda 429s; distributions for calls used this hour, change-event age, outbox pending and open
 * critical lab reviews (a gauge sampled from a periodic log line: chart its max per period).
 */
export class LogMetrics extends Construct {
  readonly metrics: Record<LogMetricKey, LoggingMetric>;

  constructor(scope: Construct, id: string, props: LogMetricsProps) {
    super(scope, id);
    const entries = Object.entries(SPECS).map(([key, spec]) => {
      const labels = Object.entries(spec.labels ?? {});
      const distribution = 'field' in spec.value ? spec.value : undefined;
      const metric = new LoggingMetric(this, key, {
        project: props.projectId,
        name: LOG_METRICS[key as LogMetricKey],
        description: spec.description,
        filter: spec.filter,
        metricDescriptor: {
          metricKind: 'DELTA',
          valueType: distribution ? 'DISTRIBUTION' : 'INT64',
          unit: distribution?.unit ?? '1',
          labels: labels.map(([label]) => ({ key: label, valueType: 'STRING' })),
        },
        labelExtractors: Object.fromEntries(labels.map(([label, field]) => [label, `EXTRACT(jsonPayload.${field})`])),
        ...(distribution && {
          valueExtractor: `EXTRACT(jsonPayload.${distribution.field})`,
          bucketOptions: buckets(distribution.scale),
        }),
      });
      return [key, metric] as const;
    });
    this.metrics = Object.fromEntries(entries) as Record<LogMetricKey, LoggingMetric>;
  }
}
