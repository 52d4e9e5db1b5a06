import { Construct } from 'constructs';
import { ANONYMIZE_SOURCE_INSTANCE_PREFIX, LOG_EVENTS } from '../contract/resources.js';
import { MonitoringNotificationChannel } from '@cdktf/provider-google/lib/monitoring-notification-channel/index.js';
import { MonitoringAlertPolicy } from '@cdktf/provider-google/lib/monitoring-alert-policy/index.js';
import type { MonitoringAlertPolicyConditionsConditionThreshold } from '@cdktf/provider-google/lib/monitoring-alert-policy/index.js';
import { MonitoringUptimeCheckConfig } from '@cdktf/provider-google/lib/monitoring-uptime-check-config/index.js';
import { LoggingMetric } from '@cdktf/provider-google/lib/logging-metric/index.js';
import { validateRange } from './validation.js';
import { LogMetrics } from './log-metrics.js';
import { OperationsDashboard } from './dashboard.js';
import { ServiceLevelObjectives } from './slos.js';

export interface MonitoringProps {
  readonly projectId: string;
  /** Where alerts go (email channel). */
  readonly notificationEmail: string;
  /** Dead-letter subscription id (alert when anything is in it). */
  readonly deadLetterSubscriptionId: string;
  /** Load-balancer backend service name serving `/webhooks/*`. */
  readonly webhookBackendName: string;
  /** Public host for the `/health` uptime check. */
  readonly uptimeHost: string;
  /** Runbook base URL linked from every alert. */
  readonly runbookBaseUrl: string;
  /**
   * Webhook p95 latency threshold, milliseconds (100–60000). DrChrono gives up after a short timeout and retries only
   * three times, so webhooks must stay fast.
   * @default 2000
   */
  readonly webhookP95Ms?: number;
  /** Cloud Run service names charted on the dashboard; the first is the availability SLO's service (drchrono-sync). */
  readonly cloudRunServiceNames: readonly [string, ...string[]];
  /** Cloud SQL instance name, for the dashboard's CPU and connection charts. */
  readonly sqlInstanceName: string;
}

/** Log filter that the sync code's failure log line matches (`event: LOG_EVENTS.syncFailed`, severity ERROR). */
export const SYNC_FAILURE_LOG_FILTER = `resource.type="cloud_run_revision" AND severity>=ERROR AND jsonPayload.event="${LOG_EVENTS.syncFailed}"`;

/**
 * Log filter that the lab overdue check's line matches (`event: LOG_EVENTS.labCriticalReviewOverdue`, severity ERROR;
 * review ids and counts only): a critical lab result whose review item is still open after LAB_CRITICAL_REVIEW_MINUTES.
 */
export const LAB_CRITICAL_REVIEW_OVERDUE_LOG_FILTER = `resource.type="cloud_run_revision" AND severity>=ERROR AND jsonPayload.event="${LOG_EVENTS.labCriticalReviewOverdue}"`;

/**
 * Alerts for the on-call engineer, each linking its runbook: DLQ depth > 0, a point-in-time clone of prod left running,
 * sync failures (log-based metric),
 * critical lab results not reviewed in time (log-based metric), webhook p95 latency and 5xx at the load balancer, and
 * an uptime check on `/health`. Plus the log-based metrics ({@link LogMetrics}), the operations dashboard
 * ({@link OperationsDashboard}) and the SLOs with their burn-rate alerts ({@link ServiceLevelObjectives}).
 */
export class Monitoring extends Construct {
  readonly channel: MonitoringNotificationChannel;
  readonly alerts: Record<string, MonitoringAlertPolicy> = {};
  readonly logMetrics: LogMetrics;
  readonly dashboard: OperationsDashboard;
  readonly slos: ServiceLevelObjectives;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    validateRange('Monitoring', 'webhookP95Ms', props.webhookP95Ms, 100, 60_000, 'ms');
    const project = props.projectId;

    this.channel = new MonitoringNotificationChannel(this, 'email', {
      project,
      displayName: 'On-call email',
      type: 'email',
      labels: { email_address: props.notificationEmail },
    });

    const alert = (
      name: string,
      displayName: string,
      runbook: string,
      threshold: MonitoringAlertPolicyConditionsConditionThreshold,
    ): void => {
      this.alerts[name] = new MonitoringAlertPolicy(this, `alert-${name}`, {
        project,
        displayName,
        combiner: 'OR',
        severity: 'ERROR',
        notificationChannels: [this.channel.id],
        documentation: { content: `Runbook: ${props.runbookBaseUrl}/${runbook}`, mimeType: 'text/markdown' },
        conditions: [{ displayName, conditionThreshold: threshold }],
        alertStrategy: { autoClose: '86400s' },
      });
    };

    alert('dlq-not-empty', 'Change events dead-lettered', 'dlq-not-empty.md', {
      filter:
        'resource.type = "pubsub_subscription" AND ' +
        `resource.labels.subscription_id = "${props.deadLetterSubscriptionId}" AND ` +
        'metric.type = "pubsub.googleapis.com/subscription/num_undelivered_messages"',
      comparison: 'COMPARISON_GT',
      thresholdValue: 0,
      duration: '60s',
      aggregations: [{ alignmentPeriod: '60s', perSeriesAligner: 'ALIGN_MAX' }],
    });

    // A point-in-time clone of prod is a full PHI copy made for one load (runbook anonymize-staging): one still up
    // after 12 h means the load is over and its removal (step 4) was forgotten.
    alert('anonymize-clone-left-running', 'Point-in-time clone of prod up for over 12 h', 'anonymize-staging.md', {
      filter:
        'resource.type = "cloudsql_database" AND metric.type = "cloudsql.googleapis.com/database/up" AND ' +
        `resource.labels.database_id = starts_with("${project}:${ANONYMIZE_SOURCE_INSTANCE_PREFIX}")`,
      comparison: 'COMPARISON_GT',
      thresholdValue: 0,
      duration: '43200s',
      aggregations: [{ alignmentPeriod: '300s', perSeriesAligner: 'ALIGN_MAX' }],
    });

    const syncFailures = new LoggingMetric(this, 'sync-failures', {
      project,
      name: 'sync_failures',
      description: 'Sync operations that ended in error (one log line per failed operation, no PHI).',
      filter: SYNC_FAILURE_LOG_FILTER,
      metricDescriptor: { metricKind: 'DELTA', valueType: 'INT64', unit: '1' },
    });
    alert('sync-failures', 'Sync failures', 'drchrono-token-refresh.md', {
      filter: `resource.type = "cloud_run_revision" AND metric.type = "logging.googleapis.com/user/${syncFailures.name}"`,
      comparison: 'COMPARISON_GT',
      thresholdValue: 0,
      duration: '0s',
      aggregations: [{ alignmentPeriod: '300s', perSeriesAligner: 'ALIGN_SUM', crossSeriesReducer: 'REDUCE_SUM' }],
    });

    const labOverdue = new LoggingMetric(this, 'lab-critical-review-overdue', {
      project,
      name: 'lab_critical_review_overdue',
      description:
        'Incremental lab cycles that found critical lab results unreviewed past LAB_CRITICAL_REVIEW_MINUTES (ids only, no PHI).',
      filter: LAB_CRITICAL_REVIEW_OVERDUE_LOG_FILTER,
      metricDescriptor: { metricKind: 'DELTA', valueType: 'INT64', unit: '1' },
    });
    alert('lab-critical-review-overdue', 'Critical lab result not reviewed in time', 'lab-critical-review.md', {
      filter: `resource.type = "cloud_run_revision" AND metric.type = "logging.googleapis.com/user/${labOverdue.name}"`,
      comparison: 'COMPARISON_GT',
      thresholdValue: 0,
      duration: '0s',
      aggregations: [{ alignmentPeriod: '900s', perSeriesAligner: 'ALIGN_SUM', crossSeriesReducer: 'REDUCE_SUM' }],
    });

    const lbFilter = (metric: string): string =>
      `resource.type = "https_lb_rule" AND metric.type = "loadbalancing.googleapis.com/https/${metric}" AND ` +
      `resource.labels.backend_target_name = "${props.webhookBackendName}"`;
    alert('webhook-latency', 'Webhook p95 latency high', 'webhook-latency.md', {
      filter: lbFilter('total_latencies'),
      comparison: 'COMPARISON_GT',
      thresholdValue: props.webhookP95Ms ?? 2000,
      duration: '300s',
      aggregations: [{ alignmentPeriod: '300s', perSeriesAligner: 'ALIGN_PERCENTILE_95' }],
    });
    alert('webhook-5xx', 'Webhook 5xx responses', 'webhook-latency.md', {
      filter: `${lbFilter('request_count')} AND metric.labels.response_code_class = 500`,
      comparison: 'COMPARISON_GT',
      thresholdValue: 0,
      duration: '0s',
      aggregations: [{ alignmentPeriod: '300s', perSeriesAligner: 'ALIGN_DELTA', crossSeriesReducer: 'REDUCE_SUM' }],
    });

    const uptime = new MonitoringUptimeCheckConfig(this, 'uptime', {
      project,
      displayName: 'drchrono-sync /health',
      timeout: '10s',
      period: '300s',
      httpCheck: { path: '/health', port: 443, useSsl: true, validateSsl: true },
      monitoredResource: { type: 'uptime_url', labels: { project_id: project, host: props.uptimeHost } },
    });
    alert('uptime', 'drchrono-sync health check failing', 'regional-failover.md', {
      filter:
        'resource.type = "uptime_url" AND metric.type = "monitoring.googleapis.com/uptime_check/check_passed" AND ' +
        `metric.labels.check_id = "${uptime.uptimeCheckId}"`,
      comparison: 'COMPARISON_GT',
      thresholdValue: 1,
      duration: '600s',
      aggregations: [
        { alignmentPeriod: '300s', perSeriesAligner: 'ALIGN_NEXT_OLDER', crossSeriesReducer: 'REDUCE_COUNT_FALSE' },
      ],
    });

    this.logMetrics = new LogMetrics(this, 'log-metrics', { projectId: project });
    this.dashboard = new OperationsDashboard(this, 'operations-dashboard', {
      projectId: project,
      webhookBackendName: props.webhookBackendName,
      cloudRunServiceNames: props.cloudRunServiceNames,
      deadLetterSubscriptionId: props.deadLetterSubscriptionId,
      sqlInstanceName: props.sqlInstanceName,
      dependsOn: Object.values(this.logMetrics.metrics),
    });
    this.slos = new ServiceLevelObjectives(this, 'slos', {
      projectId: project,
      cloudRunServiceName: props.cloudRunServiceNames[0],
      webhookBackendName: props.webhookBackendName,
      notificationChannels: [this.channel.id],
      runbookBaseUrl: props.runbookBaseUrl,
    });
  }
}
