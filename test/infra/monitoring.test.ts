import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesizeAll, type TerraformJson } from '../../stacks/synth.js';
import { LOG_METRIC_LABEL_FIELDS, LOG_METRICS } from '../../constructs/log-metrics.js';
import { BURN_RATE_WINDOWS } from '../../constructs/slos.js';
import { DRCHRONO_HOURLY_CALL_LIMIT, DRCHRONO_WEBHOOK_CALL_RESERVE, LOG_EVENTS } from '../../contract/resources.js';
import { resources, type Attrs } from './helpers.js';

let stacks: Record<string, TerraformJson>;

beforeAll(() => {
  const result = synthesizeAll();
  expect(result.errors).toEqual([]);
  stacks = result.stacks;
});

interface DataSet {
  timeSeriesQuery: { timeSeriesFilter: { filter: string; aggregation: Attrs } };
}
interface Tile {
  xPos: number;
  yPos: number;
  width: number;
  height: number;
  widget: { title: string; xyChart: { dataSets: DataSet[]; thresholds: { value: number }[] } };
}

const dashboardOf = (
  json: TerraformJson,
): { displayName: string; mosaicLayout: { columns: number; tiles: Tile[] } } => {
  const [dashboard, ...rest] = resources(json, 'google_monitoring_dashboard');
  expect(rest).toEqual([]);
  return JSON.parse(dashboard!.dashboard_json as string);
};
const filtersOf = (tiles: Tile[]): string[] =>
  tiles.flatMap((t) => t.widget.xyChart.dataSets.map((d) => d.timeSeriesQuery.timeSeriesFilter.filter));
const tileTitled = (tiles: Tile[], pattern: RegExp): Tile => {
  const found = tiles.filter((t) => pattern.test(t.widget.title));
  expect(found, String(pattern)).toHaveLength(1);
  return found[0]!;
};
/** A dashboard's shape without environment-specific values (references, project ids). */
const shape = (json: TerraformJson): unknown =>
  JSON.parse(
    JSON.stringify(dashboardOf(json))
      .replace(/\$\{[^}]+\}/g, 'REF')
      .replace(/feel-august-platform-(staging|prod)/g, 'PROJECT')
      .replace(/platform-(staging|prod)/g, 'INSTANCE'),
  );

describe('operations dashboard', () => {
  it('exists once per environment stack, with the same shape in staging and prod', () => {
    expect(shape(stacks.staging!)).toEqual(shape(stacks.prod!));
    expect(resources(stacks.bootstrap!, 'google_monitoring_dashboard')).toEqual([]);
  });

  describe.each(['staging', 'prod'])('%s', (name) => {
    const json = (): TerraformJson => stacks[name]!;

    it('lays its tiles on the 48-column mosaic grid without overlap', () => {
      const { mosaicLayout } = dashboardOf(json());
      expect(mosaicLayout.columns).toBe(48);
      const cells = new Set<string>();
      for (const t of mosaicLayout.tiles) {
        expect(t.xPos + t.width).toBeLessThanOrEqual(48);
        for (let x = t.xPos; x < t.xPos + t.width; x++)
          for (let y = t.yPos; y < t.yPos + t.height; y++) {
            expect(cells.has(`${x},${y}`)).toBe(false);
            cells.add(`${x},${y}`);
          }
      }
    });

    it('charts every signal of issue 16: webhooks, Cloud Run, change events, outbox, DLQ, budgets, Coda, syncs, labs, SQL', () => {
      const { tiles } = dashboardOf(json()).mosaicLayout;
      const filters = filtersOf(tiles).join('\n');
      const webhookBackend = /backend_target_name="\$\{google_compute_backend_service\.ingress_webhooks_\w+\.name\}"/;
      const expectations: [RegExp, RegExp][] = [
        [/^Webhook requests/, /loadbalancing\.googleapis\.com\/https\/request_count/],
        [/^Webhook latency p50 \/ p95/, /loadbalancing\.googleapis\.com\/https\/backend_latencies/],
        [/^Webhook 5xx/, /response_code_class=500/],
        [/^Cloud Run requests/, /run\.googleapis\.com\/request_count/],
        [/^Cloud Run latency/, /run\.googleapis\.com\/request_latencies/],
        [/^Change-event age/, new RegExp(`logging\\.googleapis\\.com/user/${LOG_METRICS.changeEventAge}"`)],
        [/^Outbox rows pending/, new RegExp(`user/${LOG_METRICS.outboxPending}"`)],
        [/DLQ depth/, /pubsub\.googleapis\.com\/subscription\/num_undelivered_messages/],
        [/^DrChrono calls used this hour vs budget/, new RegExp(`user/${LOG_METRICS.drchronoCallsUsed}"`)],
        [/^DrChrono calls per hour by kind/, new RegExp(`user/${LOG_METRICS.drchronoCalls}"`)],
        [/^Coda 429/, new RegExp(`user/${LOG_METRICS.codaRateLimited}"`)],
        [/^Sync runs and failures/, new RegExp(`user/${LOG_METRICS.syncRuns}"`)],
        [/^Open critical lab reviews/, new RegExp(`user/${LOG_METRICS.openCriticalLabReviews}"`)],
        [/^Cloud SQL CPU/, /cloudsql\.googleapis\.com\/database\/cpu\/utilization/],
        [/^Cloud SQL connections/, /cloudsql\.googleapis\.com\/database\/postgresql\/num_backends/],
      ];
      for (const [title, metric] of expectations) {
        const tile = tileTitled(tiles, title);
        expect(filtersOf([tile]).join('\n')).toMatch(metric);
      }
      expect(tiles).toHaveLength(expectations.length);
      for (const t of tiles.filter((t) => /^Webhook/.test(t.widget.title)))
        expect(filtersOf([t]).every((f) => webhookBackend.test(f))).toBe(true);
      expect(filters).toMatch(
        /subscription_id="\$\{google_pubsub_subscription\.change-events_dlq-subscription_\w+\.name\}"/,
      );
      expect(filters).toMatch(
        new RegExp(`database_id="feel-august-platform-${name}:\\$\\{google_sql_database_instance\\.[\\w-]+\\.name\\}"`),
      );
      expect(filters).toMatch(
        /service_name=one_of\("\$\{google_cloud_run_v2_service\.drchrono-sync_service_\w+\.name\}", "\$\{google_cloud_run_v2_service\.coda-push_service_\w+\.name\}"\)/,
      );
    });

    it('draws the SLO bound on webhook latency, and the hourly budget and sync share on DrChrono calls', () => {
      const { tiles } = dashboardOf(json()).mosaicLayout;
      const latency = tileTitled(tiles, /^Webhook latency/);
      expect(latency.widget.xyChart.thresholds.map((t) => t.value)).toEqual([5000]);
      expect(
        latency.widget.xyChart.dataSets.map((d) => d.timeSeriesQuery.timeSeriesFilter.aggregation.crossSeriesReducer),
      ).toEqual(['REDUCE_PERCENTILE_50', 'REDUCE_PERCENTILE_95']);
      const budget = tileTitled(tiles, /^DrChrono calls used/);
      expect(budget.widget.xyChart.thresholds.map((t) => t.value)).toEqual([
        DRCHRONO_HOURLY_CALL_LIMIT,
        DRCHRONO_HOURLY_CALL_LIMIT - DRCHRONO_WEBHOOK_CALL_RESERVE,
      ]);
      const byKind = tileTitled(tiles, /^DrChrono calls per hour by kind/).widget.xyChart.dataSets[0]!;
      expect(byKind.timeSeriesQuery.timeSeriesFilter.aggregation).toMatchObject({
        alignmentPeriod: '3600s',
        groupByFields: ['metric.label.kind'],
      });
    });

    it('every logging.googleapis.com/user metric the dashboard and alerts read is defined in the same stack', () => {
      const defined = new Set(resources(json(), 'google_logging_metric').map((m) => m.name as string));
      const referencing = [
        resources(json(), 'google_monitoring_dashboard')[0]!.dashboard_json as string,
        ...resources(json(), 'google_monitoring_alert_policy').map((a) => JSON.stringify(a.conditions)),
        ...resources(json(), 'google_monitoring_slo').map((s) => JSON.stringify(s.request_based_sli)),
      ].join('\n');
      const referenced = [...referencing.matchAll(/logging\.googleapis\.com\/user\/([\w${}.-]+?)(?=\\?")/g)].map(
        (m) => m[1]!,
      );
      expect(referenced.length).toBeGreaterThanOrEqual(Object.keys(LOG_METRICS).length);
      for (const name of referenced) {
        // A reference (`${google_logging_metric.<id>.name}`) is defined by construction; a literal must match a name.
        if (name.startsWith('${')) expect(name).toMatch(/^\$\{google_logging_metric\.[\w-]+\.name\}$/);
        else expect(defined, name).toContain(name);
      }
      for (const name of Object.values(LOG_METRICS)) expect(defined).toContain(name);
    });
  });
});

describe.each(['staging', 'prod'])('%s log-based metrics', (name) => {
  const metrics = (): Attrs[] => resources(stacks[name]!, 'google_logging_metric');

  it('extract labels only from allowlisted non-PHI jsonPayload fields', () => {
    const extracted = metrics().flatMap((m) => Object.values((m.label_extractors ?? {}) as Record<string, string>));
    expect(extracted.length).toBeGreaterThan(0);
    for (const expression of extracted) {
      const field = /^EXTRACT\(jsonPayload\.(\w+)\)$/.exec(expression)?.[1];
      expect(LOG_METRIC_LABEL_FIELDS as readonly (string | undefined)[], expression).toContain(field);
    }
    for (const m of metrics()) {
      // Every extracted label is declared on the descriptor, and nothing else is.
      const declared = ((m.metric_descriptor.labels ?? []) as Attrs[]).map((l) => l.key).sort();
      expect(declared).toEqual(Object.keys(m.label_extractors ?? {}).sort());
    }
  });

  it('match the structured log lines by their contract event names, on Cloud Run only', () => {
    const byName = Object.fromEntries(metrics().map((m) => [m.name, m]));
    const expected: Record<string, string[]> = {
      [LOG_METRICS.syncRuns]: [LOG_EVENTS.syncStarted, LOG_EVENTS.syncCompleted, LOG_EVENTS.syncFailed],
      [LOG_METRICS.drchronoCalls]: [LOG_EVENTS.drchronoCallReserved],
      [LOG_METRICS.drchronoCallsUsed]: [LOG_EVENTS.drchronoCallReserved],
      [LOG_METRICS.changeEventAge]: [LOG_EVENTS.changeEventPushed],
      [LOG_METRICS.outboxPending]: [LOG_EVENTS.outboxPending],
      [LOG_METRICS.codaRateLimited]: [LOG_EVENTS.codaCallRetry, LOG_EVENTS.codaPushRetry],
      [LOG_METRICS.openCriticalLabReviews]: [LOG_EVENTS.labCriticalReviewOverdue],
    };
    for (const [metric, events] of Object.entries(expected)) {
      const filter = byName[metric]!.filter as string;
      expect(filter).toMatch(/^resource\.type="cloud_run_revision" AND /);
      for (const event of events) expect(filter).toContain(`"${event}"`);
    }
    expect(byName[LOG_METRICS.codaRateLimited]!.filter).toContain('jsonPayload.status=429');
  });

  it('distributions read numeric count or duration fields', () => {
    const values = Object.fromEntries(
      metrics()
        .filter((m) => m.metric_descriptor.value_type === 'DISTRIBUTION')
        .map((m) => [m.name, m.value_extractor]),
    );
    expect(values).toEqual({
      [LOG_METRICS.drchronoCallsUsed]: 'EXTRACT(jsonPayload.usedThisHour)',
      [LOG_METRICS.changeEventAge]: 'EXTRACT(jsonPayload.ageMs)',
      [LOG_METRICS.outboxPending]: 'EXTRACT(jsonPayload.pending)',
      [LOG_METRICS.openCriticalLabReviews]: 'EXTRACT(jsonPayload.openCriticalReviews)',
    });
  });
});

describe.each(['staging', 'prod'])('%s SLOs and burn-rate alerts', (name) => {
  const json = (): TerraformJson => stacks[name]!;
  const slo = (id: string): Attrs => {
    const found = resources(json(), 'google_monitoring_slo').filter((s) => s.slo_id === id);
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  it('keeps both SLOs on one custom service over a rolling 28 days', () => {
    const [service, ...rest] = resources(json(), 'google_monitoring_custom_service');
    expect(rest).toEqual([]);
    expect(service!.service_id).toBe('feel-august-platform');
    expect(
      resources(json(), 'google_monitoring_slo')
        .map((s) => s.slo_id)
        .sort(),
    ).toEqual(['availability', 'webhook-latency']);
    for (const s of resources(json(), 'google_monitoring_slo')) {
      expect(s.service).toBe(service!.service_id);
      expect(s.rolling_period_days).toBe(28);
    }
  });

  it('availability: 99.9 % of drchrono-sync requests are not 5xx', () => {
    const availability = slo('availability');
    expect(availability.goal).toBe(0.999);
    const ratio = availability.request_based_sli.good_total_ratio;
    const drchronoSync =
      /resource\.labels\.service_name="\$\{google_cloud_run_v2_service\.drchrono-sync_service_\w+\.name\}"/;
    expect(ratio.total_service_filter).toMatch(/metric\.type="run\.googleapis\.com\/request_count"/);
    expect(ratio.total_service_filter).toMatch(drchronoSync);
    expect(ratio.bad_service_filter).toBe(`${ratio.total_service_filter} AND metric.labels.response_code_class="5xx"`);
    expect(ratio.good_service_filter).toBeUndefined();
  });

  it('webhook latency: 95 % of webhook requests at the load balancer within 5 s', () => {
    const latency = slo('webhook-latency');
    expect(latency.goal).toBe(0.95);
    const cut = latency.request_based_sli.distribution_cut;
    expect(cut.range).toEqual({ max: 5000 });
    expect(cut.distribution_filter).toMatch(/loadbalancing\.googleapis\.com\/https\/backend_latencies/);
    expect(cut.distribution_filter).toMatch(
      /backend_target_name="\$\{google_compute_backend_service\.ingress_webhooks_\w+\.name\}"/,
    );
  });

  it('alerts on the SRE workbook windows: 14.4× 1 h/5 min and 6× 6 h/30 min page, 1× 3 d/6 h tickets', () => {
    const burn = resources(json(), 'google_monitoring_alert_policy').filter((a) =>
      JSON.stringify(a.conditions).includes('select_slo_burn_rate'),
    );
    const channel = /^\$\{google_monitoring_notification_channel\.monitoring_email_\w+\.id\}$/;
    const seen = burn.map((a) => {
      expect(a.combiner).toBe('AND');
      expect(a.notification_channels).toHaveLength(1);
      expect(a.notification_channels[0]).toMatch(channel);
      expect(a.documentation.content).toMatch(/Runbook: https:\/\/\S+\/slo-burn-rate\.md/);
      const conditions = (a.conditions as Attrs[]).map((c) => {
        const t = c.condition_threshold;
        expect(t).toMatchObject({ comparison: 'COMPARISON_GT', duration: '0s' });
        const m =
          /^select_slo_burn_rate\("projects\/([\w-]+)\/services\/([\w-]+)\/serviceLevelObjectives\/([\w-]+)", "(\d+)s"\)$/.exec(
            t.filter,
          );
        expect(m, t.filter).not.toBeNull();
        expect(m![1]).toBe(`feel-august-platform-${name}`);
        expect(m![2]).toBe('feel-august-platform');
        return { slo: m![3]!, seconds: Number(m![4]), threshold: t.threshold_value as number };
      });
      expect(new Set(conditions.map((c) => c.slo)).size).toBe(1);
      expect(new Set(conditions.map((c) => c.threshold)).size).toBe(1);
      return {
        slo: conditions[0]!.slo,
        threshold: conditions[0]!.threshold,
        windows: conditions.map((c) => c.seconds),
        severity: a.severity,
      };
    });
    const expected = ['availability', 'webhook-latency'].flatMap((s) => [
      { slo: s, threshold: 14.4, windows: [3600, 300], severity: 'CRITICAL' },
      { slo: s, threshold: 6, windows: [21_600, 1_800], severity: 'CRITICAL' },
      { slo: s, threshold: 1, windows: [259_200, 21_600], severity: 'WARNING' },
    ]);
    expect(seen).toEqual(expect.arrayContaining(expected));
    expect(seen).toHaveLength(expected.length);
    expect(BURN_RATE_WINDOWS.every((w) => w.shortWindowSeconds * 12 === w.longWindowSeconds)).toBe(true);
  });

  it('each burn-rate policy depends on its SLO, so Terraform creates the SLO first', () => {
    for (const a of resources(json(), 'google_monitoring_alert_policy').filter((p) => p.user_labels?.slo)) {
      expect(a.depends_on).toEqual([
        expect.stringMatching(new RegExp(`^google_monitoring_slo\\.monitoring_slos_${a.user_labels.slo}_\\w+$`)),
      ]);
    }
  });
});

describe('alert documentation', () => {
  it('every alert policy links a runbook that exists in docs/runbooks', () => {
    for (const name of ['staging', 'prod']) {
      for (const a of resources(stacks[name]!, 'google_monitoring_alert_policy')) {
        const runbook = /Runbook: \S+\/docs\/runbooks\/([\w-]+\.md)/.exec(a.documentation.content as string)?.[1];
        expect(runbook, a.display_name).toBeDefined();
        expect(existsSync(new URL(`../../docs/runbooks/${runbook}`, import.meta.url)), runbook).toBe(true);
      }
    }
  });
});
