import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { MonitoringDashboard } from '@cdktf/provider-google/lib/monitoring-dashboard/index.js';
import { DRCHRONO_HOURLY_CALL_LIMIT, DRCHRONO_WEBHOOK_CALL_RESERVE } from '../contract/resources.js';
import { LOG_METRICS, logMetricType } from './log-metrics.js';
import { validateRange } from './validation.js';

export interface OperationsDashboardProps {
  readonly projectId: string;
  /** Load-balancer backend service serving `/webhooks/*`. */
  readonly webhookBackendName: string;
  /** Cloud Run services charted side by side (request rate and latency). */
  readonly cloudRunServiceNames: readonly string[];
  /** Dead-letter subscription id (its undelivered count is the DLQ depth). */
  readonly deadLetterSubscriptionId: string;
  /** Cloud SQL instance name (the dashboard filters on `<project>:<instance>`). */
  readonly sqlInstanceName: string;
  /** Resources the charts read (the log-based metrics), created first. */
  readonly dependsOn?: readonly ITerraformDependable[];
  /**
   * Webhook latency bound drawn on the latency chart, milliseconds (100–60000).
   * @default 5000 (the webhook-latency SLO)
   */
  readonly webhookLatencyThresholdMs?: number;
  /**
   * DrChrono calls per hour for all instances, drawn on the budget chart.
   * @default DRCHRONO_HOURLY_CALL_LIMIT (contract: the call budget's own default)
   */
  readonly drchronoHourlyCallLimit?: number;
  /**
   * Calls per hour kept for webhook work; the sync share line is drawn at limit − reserve.
   * @default DRCHRONO_WEBHOOK_CALL_RESERVE
   */
  readonly drchronoWebhookCallReserve?: number;
}

type Aligner = 'ALIGN_RATE' | 'ALIGN_DELTA' | 'ALIGN_MAX' | 'ALIGN_MEAN' | 'ALIGN_PERCENTILE_99';
type Reducer = 'REDUCE_SUM' | 'REDUCE_MAX' | 'REDUCE_MEAN' | 'REDUCE_PERCENTILE_50' | 'REDUCE_PERCENTILE_95';

interface Series {
  readonly filter: string;
  readonly aligner: Aligner;
  readonly reducer?: Reducer;
  readonly groupBy?: readonly string[];
  /** @default '60s' */
  readonly alignmentPeriod?: string;
  readonly legend?: string;
}

interface Chart {
  readonly title: string;
  readonly series: readonly Series[];
  readonly yLabel: string;
  readonly thresholds?: readonly { readonly value: number; readonly label: string }[];
  /** @default 'LINE' */
  readonly plot?: 'LINE' | 'STACKED_BAR' | 'STACKED_AREA';
}

/** Dashboard JSON for one xyChart widget. */
function widget(chart: Chart): Record<string, unknown> {
  return {
    title: chart.title,
    xyChart: {
      dataSets: chart.series.map((s) => ({
        plotType: chart.plot ?? 'LINE',
        ...(s.legend && { legendTemplate: s.legend }),
        minAlignmentPeriod: s.alignmentPeriod ?? '60s',
        timeSeriesQuery: {
          timeSeriesFilter: {
            filter: s.filter,
            aggregation: {
              alignmentPeriod: s.alignmentPeriod ?? '60s',
              perSeriesAligner: s.aligner,
              ...(s.reducer && { crossSeriesReducer: s.reducer, groupByFields: [...(s.groupBy ?? [])] }),
            },
          },
        },
      })),
      thresholds: (chart.thresholds ?? []).map((t) => ({ value: t.value, label: t.label, color: 'RED' })),
      yAxis: { label: chart.yLabel, scale: 'LINEAR' },
      timeshiftDuration: '0s',
    },
  };
}

/** Lays charts out two per row on the 48-column mosaic grid. */
export function mosaic(charts: readonly Chart[]): Record<string, unknown> {
  return {
    columns: 48,
    tiles: charts.map((chart, i) => ({
      xPos: (i % 2) * 24,
      yPos: Math.floor(i / 2) * 16,
      width: 24,
      height: 16,
      widget: widget(chart),
    })),
  };
}

/**
 * The on-call dashboard (Cloud Monitoring, mosaic layout): webhook rate, p50/p95 latency and 5xx at the load
 * balancer; both Cloud Run services' request rate and latency; change-event age from outbox commit to Coda; outbox
 * pending; DLQ depth; DrChrono calls used this hour against the budget and calls by kind; Coda 429s; sync runs and
 * failures; open critical lab reviews; Cloud SQL CPU and connections. Every label charted is a non-PHI name
 * (response class, service, kind, table, event).
 */
export class OperationsDashboard extends Construct {
  readonly dashboard: MonitoringDashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    validateRange(
      'OperationsDashboard',
      'webhookLatencyThresholdMs',
      props.webhookLatencyThresholdMs,
      100,
      60_000,
      'ms',
    );
    validateRange('OperationsDashboard', 'drchronoHourlyCallLimit', props.drchronoHourlyCallLimit, 1, 100_000, 'calls');
    const limit = props.drchronoHourlyCallLimit ?? DRCHRONO_HOURLY_CALL_LIMIT;
    const reserve = props.drchronoWebhookCallReserve ?? DRCHRONO_WEBHOOK_CALL_RESERVE;
    validateRange('OperationsDashboard', 'drchronoWebhookCallReserve', reserve, 0, limit - 1, 'calls');

    const lb = (metric: string, extra = ''): string =>
      `metric.type="loadbalancing.googleapis.com/https/${metric}" AND resource.type="https_lb_rule" AND ` +
      `resource.labels.backend_target_name="${props.webhookBackendName}"${extra}`;
    const run = (metric: string): string =>
      `metric.type="run.googleapis.com/${metric}" AND resource.type="cloud_run_revision" AND ` +
      `resource.labels.service_name=one_of(${props.cloudRunServiceNames.map((n) => `"${n}"`).join(', ')})`;
    const user = (name: string): string =>
      `metric.type="${logMetricType(name)}" AND resource.type="cloud_run_revision"`;
    const sql = (metric: string): string =>
      `metric.type="cloudsql.googleapis.com/database/${metric}" AND resource.type="cloudsql_database" AND ` +
      `resource.labels.database_id="${props.projectId}:${props.sqlInstanceName}"`;
    const percentiles = (filter: string, groupBy: readonly string[] = []): Series[] =>
      (['REDUCE_PERCENTILE_50', 'REDUCE_PERCENTILE_95'] as const).map((reducer) => ({
        filter,
        aligner: 'ALIGN_DELTA',
        reducer,
        groupBy,
        legend: reducer === 'REDUCE_PERCENTILE_50' ? 'p50' : 'p95',
      }));
    const latencyMs = props.webhookLatencyThresholdMs ?? 5000;

    const charts: Chart[] = [
      {
        title: 'Webhook requests/s by response class',
        series: [
          {
            filter: lb('request_count'),
            aligner: 'ALIGN_RATE',
            reducer: 'REDUCE_SUM',
            groupBy: ['metric.label.response_code_class'],
          },
        ],
        yLabel: 'requests/s',
        plot: 'STACKED_AREA',
      },
      {
        title: 'Webhook latency p50 / p95 (load balancer → drchrono-sync)',
        series: percentiles(lb('backend_latencies')),
        yLabel: 'ms',
        thresholds: [{ value: latencyMs, label: 'SLO bound' }],
      },
      {
        title: 'Webhook 5xx per minute',
        series: [
          {
            filter: lb('request_count', ' AND metric.labels.response_code_class=500'),
            aligner: 'ALIGN_DELTA',
            reducer: 'REDUCE_SUM',
          },
        ],
        yLabel: 'responses',
        plot: 'STACKED_BAR',
      },
      {
        title: 'Cloud Run requests/s by service and class',
        series: [
          {
            filter: run('request_count'),
            aligner: 'ALIGN_RATE',
            reducer: 'REDUCE_SUM',
            groupBy: ['resource.label.service_name', 'metric.label.response_code_class'],
          },
        ],
        yLabel: 'requests/s',
      },
      {
        title: 'Cloud Run latency p50 / p95 by service',
        series: percentiles(run('request_latencies'), ['resource.label.service_name']),
        yLabel: 'ms',
      },
      {
        title: 'Change-event age, outbox commit → applied in Coda',
        series: percentiles(user(LOG_METRICS.changeEventAge)),
        yLabel: 'ms',
      },
      {
        title: 'Outbox rows pending',
        series: [{ filter: user(LOG_METRICS.outboxPending), aligner: 'ALIGN_PERCENTILE_99', reducer: 'REDUCE_MAX' }],
        yLabel: 'rows',
      },
      {
        title: 'Dead-lettered change events (DLQ depth)',
        series: [
          {
            filter:
              'metric.type="pubsub.googleapis.com/subscription/num_undelivered_messages" AND ' +
              `resource.type="pubsub_subscription" AND resource.labels.subscription_id="${props.deadLetterSubscriptionId}"`,
            aligner: 'ALIGN_MAX',
          },
        ],
        yLabel: 'messages',
        thresholds: [{ value: 1, label: 'alert' }],
      },
      {
        title: 'DrChrono calls used this hour vs budget',
        series: [
          {
            filter: user(LOG_METRICS.drchronoCallsUsed),
            aligner: 'ALIGN_PERCENTILE_99',
            reducer: 'REDUCE_MAX',
            legend: 'used this hour',
          },
        ],
        yLabel: 'calls',
        thresholds: [
          { value: limit, label: 'hourly budget' },
          { value: limit - reserve, label: 'sync share (rest kept for webhooks)' },
        ],
      },
      {
        title: 'DrChrono calls per hour by kind',
        series: [
          {
            filter: user(LOG_METRICS.drchronoCalls),
            aligner: 'ALIGN_DELTA',
            reducer: 'REDUCE_SUM',
            groupBy: ['metric.label.kind'],
            alignmentPeriod: '3600s',
          },
        ],
        yLabel: 'calls',
        plot: 'STACKED_BAR',
        thresholds: [{ value: limit, label: 'hourly budget' }],
      },
      {
        title: 'Coda 429 (rate limited)',
        series: [
          {
            filter: user(LOG_METRICS.codaRateLimited),
            aligner: 'ALIGN_DELTA',
            reducer: 'REDUCE_SUM',
            groupBy: ['metric.label.event'],
            alignmentPeriod: '300s',
          },
        ],
        yLabel: 'answers',
        plot: 'STACKED_BAR',
      },
      {
        title: 'Sync runs and failures',
        series: [
          {
            filter: user(LOG_METRICS.syncRuns),
            aligner: 'ALIGN_DELTA',
            reducer: 'REDUCE_SUM',
            groupBy: ['metric.label.event', 'metric.label.kind'],
            alignmentPeriod: '900s',
          },
        ],
        yLabel: 'operations',
        plot: 'STACKED_BAR',
      },
      {
        title: 'Open critical lab reviews (overdue)',
        series: [
          {
            filter: user(LOG_METRICS.openCriticalLabReviews),
            aligner: 'ALIGN_PERCENTILE_99',
            reducer: 'REDUCE_MAX',
            alignmentPeriod: '300s',
          },
        ],
        yLabel: 'reviews',
      },
      {
        title: 'Cloud SQL CPU utilization',
        series: [{ filter: sql('cpu/utilization'), aligner: 'ALIGN_MEAN' }],
        yLabel: 'fraction',
        thresholds: [{ value: 0.8, label: 'sustained high' }],
      },
      {
        title: 'Cloud SQL connections',
        series: [{ filter: sql('postgresql/num_backends'), aligner: 'ALIGN_MEAN', reducer: 'REDUCE_SUM' }],
        yLabel: 'backends',
      },
    ];

    this.dashboard = new MonitoringDashboard(this, 'dashboard', {
      project: props.projectId,
      dashboardJson: JSON.stringify({ displayName: 'Feel August platform — operations', mosaicLayout: mosaic(charts) }),
      ...(props.dependsOn && { dependsOn: [...props.dependsOn] }),
    });
  }
}
