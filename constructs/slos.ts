import { Construct } from 'constructs';
import { MonitoringCustomService } from '@cdktf/provider-google/lib/monitoring-custom-service/index.js';
import { MonitoringSlo } from '@cdktf/provider-google/lib/monitoring-slo/index.js';
import { MonitoringAlertPolicy } from '@cdktf/provider-google/lib/monitoring-alert-policy/index.js';
import { ConstructPropsError, validateFormat, validateFraction, validateRange } from './validation.js';

// Service-level objectives of the platform and their multi-window, multi-burn-rate alerts (Google SRE workbook,
// "Alerting on SLOs", table 5-8): an alert fires when both the long and the short window burn the error budget faster
// than the threshold — the long window makes it significant, the short one makes it stop soon after recovery.

/** One burn-rate alert: threshold × budget rate over both windows (seconds). */
export interface BurnRateWindow {
  readonly name: string;
  /** Burn rate: 1 spends the whole budget in exactly the SLO period. */
  readonly burnRate: number;
  readonly longWindowSeconds: number;
  readonly shortWindowSeconds: number;
  /** `page`: CRITICAL (wake someone); `ticket`: WARNING (next working day). */
  readonly severity: 'page' | 'ticket';
}

/**
 * The workbook's three rows for a 28–30 day SLO: 2 % of the budget in 1 h pages, 5 % in 6 h pages, 10 % in 3 days
 * opens a ticket. Each short window is 1/12 of its long window.
 */
export const BURN_RATE_WINDOWS: readonly BurnRateWindow[] = [
  { name: 'fast', burnRate: 14.4, longWindowSeconds: 3_600, shortWindowSeconds: 300, severity: 'page' },
  { name: 'slow', burnRate: 6, longWindowSeconds: 21_600, shortWindowSeconds: 1_800, severity: 'page' },
  { name: 'ticket', burnRate: 1, longWindowSeconds: 259_200, shortWindowSeconds: 21_600, severity: 'ticket' },
];

export interface ServiceLevelObjectivesProps {
  readonly projectId: string;
  /** Cloud Run service whose answers make the availability SLI (the one outside callers reach: drchrono-sync). */
  readonly cloudRunServiceName: string;
  /** Load-balancer backend service that serves only `/webhooks/*` (and `/health`): the latency SLI's requests. */
  readonly webhookBackendName: string;
  /** Notification channels (ids) of every burn-rate alert. */
  readonly notificationChannels: readonly string[];
  /** Runbook base URL linked from every alert. */
  readonly runbookBaseUrl: string;
  /**
   * Custom service id (Service Monitoring) holding the SLOs: 6–63 chars of lowercase letters, digits and hyphens.
   * @default 'feel-august-platform'
   */
  readonly serviceId?: string;
  /**
   * Share of requests answered without a 5xx, over the rolling period (0.9–0.9999).
   * @default 0.999
   */
  readonly availabilityGoal?: number;
  /**
   * Share of webhook requests answered within {@link webhookLatencyThresholdMs} (0.5–0.9999).
   * @default 0.95 (the seed's "webhook p95 < 5 s")
   */
  readonly webhookLatencyGoal?: number;
  /**
   * Webhook latency bound in milliseconds (100–60000).
   * @default 5000
   */
  readonly webhookLatencyThresholdMs?: number;
  /**
   * Rolling compliance period in days (1–30).
   * @default 28 (four whole weeks, so every period has the same weekdays)
   */
  readonly rollingPeriodDays?: number;
}

/** `select_slo_burn_rate` over `windowSeconds` for an SLO's full resource name. */
export const burnRateFilter = (sloName: string, windowSeconds: number): string =>
  `select_slo_burn_rate("${sloName}", "${windowSeconds}s")`;

/**
 * A custom Service Monitoring service with two request-based SLOs and three burn-rate alert policies each:
 *
 * - `availability`: drchrono-sync requests (Cloud Run `request_count`) that are not 5xx, goal 0.999. Scoped to
 *   drchrono-sync, what DrChrono, Deep Cura, the scheduler and staff call. coda-push answers Pub/Sub, where a
 *   non-2xx is a deliberate nack (Coda 429, lock contention) that Pub/Sub redelivers, so it is watched by the DLQ
 *   alert and the change-event age chart instead.
 * - `webhook-latency`: a distribution cut on the load balancer's `backend_latencies` for the webhook backend, ≤ 5 s,
 *   goal 0.95 — "p95 < 5 s" as a request-based SLI. Cloud Run's `request_latencies` has no route label, and the
 *   webhook backend serves only `/webhooks/*` (plus the uptime check's `/health`, a few cheap requests per
 *   minute), so its latency is the webhooks' latency as DrChrono sees it, cold starts and queueing included — which
 *   an in-app, log-based timer would miss, and it costs no log volume.
 */
export class ServiceLevelObjectives extends Construct {
  readonly service: MonitoringCustomService;
  readonly availability: MonitoringSlo;
  readonly webhookLatency: MonitoringSlo;
  /** Burn-rate alert policies, keyed `<slo>-<window>` (e.g. `availability-fast`). */
  readonly alerts: Record<string, MonitoringAlertPolicy> = {};

  constructor(scope: Construct, id: string, props: ServiceLevelObjectivesProps) {
    super(scope, id);
    validateFraction('ServiceLevelObjectives', 'availabilityGoal', props.availabilityGoal, 0.9, 0.9999);
    validateFraction('ServiceLevelObjectives', 'webhookLatencyGoal', props.webhookLatencyGoal, 0.5, 0.9999);
    validateRange(
      'ServiceLevelObjectives',
      'webhookLatencyThresholdMs',
      props.webhookLatencyThresholdMs,
      100,
      60_000,
      'ms',
    );
    validateRange('ServiceLevelObjectives', 'rollingPeriodDays', props.rollingPeriodDays, 1, 30, 'days');
    validateFormat(
      'ServiceLevelObjectives',
      'serviceId',
      props.serviceId,
      /^[a-z][a-z0-9-]{5,62}$/,
      '6–63 lowercase letters, digits or hyphens, starting with a letter',
    );
    if (props.notificationChannels.length === 0) {
      throw new ConstructPropsError(
        'ServiceLevelObjectives: notificationChannels is empty, so no burn-rate alert would reach anyone. Pass at least one channel id.',
      );
    }
    const serviceId = props.serviceId ?? 'feel-august-platform';
    const project = props.projectId;
    const rollingPeriodDays = props.rollingPeriodDays ?? 28;

    this.service = new MonitoringCustomService(this, 'service', {
      project,
      serviceId,
      displayName: 'Feel August platform',
    });

    const run = (extra = ''): string =>
      'metric.type="run.googleapis.com/request_count" AND resource.type="cloud_run_revision" AND ' +
      `resource.labels.service_name="${props.cloudRunServiceName}"${extra}`;
    this.availability = new MonitoringSlo(this, 'availability', {
      project,
      service: serviceId,
      sloId: 'availability',
      displayName: `${props.cloudRunServiceName} availability: non-5xx answers`,
      goal: props.availabilityGoal ?? 0.999,
      rollingPeriodDays,
      requestBasedSli: {
        goodTotalRatio: {
          totalServiceFilter: run(),
          badServiceFilter: run(' AND metric.labels.response_code_class="5xx"'),
        },
      },
      dependsOn: [this.service],
    });

    const thresholdMs = props.webhookLatencyThresholdMs ?? 5000;
    this.webhookLatency = new MonitoringSlo(this, 'webhook-latency', {
      project,
      service: serviceId,
      sloId: 'webhook-latency',
      displayName: `Webhooks answered within ${thresholdMs / 1000} s`,
      goal: props.webhookLatencyGoal ?? 0.95,
      rollingPeriodDays,
      requestBasedSli: {
        distributionCut: {
          distributionFilter:
            'metric.type="loadbalancing.googleapis.com/https/backend_latencies" AND resource.type="https_lb_rule" AND ' +
            `resource.labels.backend_target_name="${props.webhookBackendName}"`,
          range: { max: thresholdMs },
        },
      },
      dependsOn: [this.service],
    });

    for (const [key, slo] of [
      ['availability', this.availability],
      ['webhook-latency', this.webhookLatency],
    ] as const) {
      // The full SLO name is written out (not a reference) so the policy rule and tests can match alert to SLO;
      // dependsOn keeps the creation order a reference would have given.
      const sloName = `projects/${project}/services/${serviceId}/serviceLevelObjectives/${key}`;
      for (const w of BURN_RATE_WINDOWS) {
        const title = `SLO ${key}: burn rate ≥ ${w.burnRate}× over ${w.longWindowSeconds / 3600} h`;
        const condition = (windowSeconds: number) => ({
          displayName: `${key} burn rate over ${windowSeconds}s`,
          conditionThreshold: {
            filter: burnRateFilter(sloName, windowSeconds),
            comparison: 'COMPARISON_GT',
            thresholdValue: w.burnRate,
            duration: '0s',
          },
        });
        this.alerts[`${key}-${w.name}`] = new MonitoringAlertPolicy(this, `alert-${key}-${w.name}`, {
          project,
          displayName: title,
          combiner: 'AND',
          severity: w.severity === 'page' ? 'CRITICAL' : 'WARNING',
          notificationChannels: [...props.notificationChannels],
          documentation: {
            content:
              `${w.severity === 'page' ? 'Page' : 'Ticket'}: at this rate the ${rollingPeriodDays}-day error budget ` +
              `of ${key} is gone in ${Math.round((rollingPeriodDays * 24) / w.burnRate)} h. ` +
              `Runbook: ${props.runbookBaseUrl}/slo-burn-rate.md`,
            mimeType: 'text/markdown',
          },
          userLabels: { slo: key, severity: w.severity },
          conditions: [condition(w.longWindowSeconds), condition(w.shortWindowSeconds)],
          alertStrategy: { autoClose: '86400s' },
          dependsOn: [slo],
        });
      }
    }
  }
}
