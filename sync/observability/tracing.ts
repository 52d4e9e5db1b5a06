import { TraceExporter as CloudTraceExporter } from '@google-cloud/opentelemetry-cloud-trace-exporter';
import { propagation, trace } from '@opentelemetry/api';
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { otlpProtocols, tracesExporters } from '../../contract/env.js';
import { ATTR_HTTP_ROUTE, ATTR_SERVICE_NAME, ATTR_URL_FULL } from '@opentelemetry/semantic-conventions';

// The one place the OpenTelemetry SDK is configured (issue 16 §2). Spans are created through @opentelemetry/api only
// (sync/observability/spans.ts, @hono/otel); until `startTracing` registers a provider, the API hands out its no-op
// tracer, so tracing off costs next to nothing. The exporter follows the standard variables:
// OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT (+ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), OTEL_EXPORTER_OTLP_PROTOCOL,
// OTEL_SERVICE_NAME. Every exported span passes `scrubSpan` first (defence in depth; spans are built without PHI).

export type TracesExporterKind = (typeof tracesExporters)[number];
export type OtlpProtocol = (typeof otlpProtocols)[number];

/** Where spans go, as read from the environment. */
export interface TracingConfig {
  readonly exporter: TracesExporterKind;
  readonly serviceName: string;
  /** Only for `otlp`: the full traces URL (…/v1/traces). */
  readonly otlpUrl?: string;
  /** Only for `otlp`. */
  readonly otlpProtocol?: OtlpProtocol;
}

/**
 * The environment (process.env). Read: OTEL_SERVICE_NAME, OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, K_SERVICE.
 */
export type TracingEnv = { readonly [name: string]: string | undefined };

/** The default OTLP/HTTP endpoint of a local collector (Jaeger, the OTel Collector, …). */
export const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';

const blank = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

/**
 * Chooses the exporter from the environment. `OTEL_TRACES_EXPORTER` wins (`otlp` | `gcp` | `console` | `none`; only
 * the first of a comma list is used); unset, it is `otlp` when an OTLP endpoint is set, `gcp` on Cloud Run
 * (`K_SERVICE`), else `none`. The OTLP protocol defaults to `http/protobuf`, as the specification says.
 * @throws Error naming the variable when a value is not one of those.
 */
export function tracingConfigFromEnv(env: TracingEnv, defaultServiceName: string): TracingConfig {
  const serviceName = blank(env.OTEL_SERVICE_NAME) ?? defaultServiceName;
  const tracesEndpoint = blank(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const endpoint = blank(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const chosen = blank(env.OTEL_TRACES_EXPORTER)?.split(',')[0]?.trim().toLowerCase();
  const exporter: TracesExporterKind =
    chosen !== undefined
      ? (tracesExporters as readonly string[]).includes(chosen)
        ? (chosen as TracesExporterKind)
        : invalid('OTEL_TRACES_EXPORTER', chosen, tracesExporters)
      : tracesEndpoint || endpoint
        ? 'otlp'
        : blank(env.K_SERVICE)
          ? 'gcp'
          : 'none';
  if (exporter !== 'otlp') return { exporter, serviceName };
  const protocol = blank(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ?? blank(env.OTEL_EXPORTER_OTLP_PROTOCOL);
  const otlpProtocol: OtlpProtocol =
    protocol === undefined
      ? 'http/protobuf'
      : (otlpProtocols as readonly string[]).includes(protocol)
        ? (protocol as OtlpProtocol)
        : invalid('OTEL_EXPORTER_OTLP_PROTOCOL', protocol, otlpProtocols);
  const otlpUrl = tracesEndpoint ?? `${(endpoint ?? DEFAULT_OTLP_ENDPOINT).replace(/\/+$/, '')}/v1/traces`;
  return { exporter, serviceName, otlpUrl, otlpProtocol };
}

function invalid(name: string, value: string, allowed: readonly string[]): never {
  throw new Error(`${name} must be one of ${allowed.join(', ')}; got "${value}" (grpc is not supported)`);
}

/** One line for people: where this process's spans go (and, when off, how to turn them on). */
export function describeTracing(config: TracingConfig): string {
  switch (config.exporter) {
    case 'otlp':
      return `Traces: ${config.otlpUrl} (OTLP ${config.otlpProtocol}, service.name ${config.serviceName})`;
    case 'gcp':
      return `Traces: Cloud Trace (service.name ${config.serviceName})`;
    case 'console':
      return `Traces: printed to stdout (service.name ${config.serviceName})`;
    case 'none':
      return (
        `Traces: off. Set OTEL_EXPORTER_OTLP_ENDPOINT=${DEFAULT_OTLP_ENDPOINT} to send them to any OTLP collector ` +
        '(e.g. Jaeger all-in-one, UI on http://localhost:16686); OTEL_EXPORTER_OTLP_PROTOCOL=http/json for JSON'
      );
  }
}

/** The exporter for a config; undefined for `none`. */
export function createSpanExporter(config: TracingConfig): SpanExporter | undefined {
  switch (config.exporter) {
    case 'otlp':
      return config.otlpProtocol === 'http/json'
        ? new OtlpJsonExporter({ url: config.otlpUrl })
        : new OtlpProtoExporter({ url: config.otlpUrl });
    case 'gcp':
      return new CloudTraceExporter();
    case 'console':
      return new ConsoleSpanExporter();
    case 'none':
      return undefined;
  }
}

/** `url.full` without query or fragment, and with the route template for the path when the span names one. */
function safeUrl(full: unknown, route: unknown): string | undefined {
  if (typeof full !== 'string') return undefined;
  try {
    const url = new URL(full);
    return `${url.origin}${typeof route === 'string' && route.startsWith('/') ? route : url.pathname}`;
  } catch {
    return undefined;
  }
}

/**
 * What leaves the process: the span as built, except that `url.full` loses its query and its path becomes the route
 * template (ids in paths are not for traces), and exception events keep the exception type and the stack frames but
 * never the message (an error message may quote a value). Spans are built without PHI; this is the safety net.
 */
export function scrubSpan(span: ReadableSpan): ReadableSpan {
  const attributes = { ...span.attributes };
  if (ATTR_URL_FULL in attributes) {
    const url = safeUrl(attributes[ATTR_URL_FULL], attributes[ATTR_HTTP_ROUTE]);
    if (url === undefined) delete attributes[ATTR_URL_FULL];
    else attributes[ATTR_URL_FULL] = url;
  }
  const events = span.events.map((event) => {
    if (event.name !== 'exception' || !event.attributes) return event;
    const { 'exception.type': type, 'exception.stacktrace': stack } = event.attributes;
    const frames =
      typeof stack === 'string'
        ? stack
            .split('\n')
            .filter((line) => /^\s+at\s/.test(line))
            .join('\n')
        : undefined;
    return {
      ...event,
      attributes: {
        ...(type !== undefined && { 'exception.type': type }),
        ...(frames && { 'exception.stacktrace': frames }),
      },
    };
  });
  const status = span.status.message === undefined ? span.status : { code: span.status.code };
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status,
    attributes,
    links: span.links,
    events,
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/** Wraps an exporter so that every span passes {@link scrubSpan} on its way out. */
export function scrubbingExporter(inner: SpanExporter): SpanExporter {
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      let answered = false;
      const once = (result: ExportResult) => {
        if (answered) return;
        answered = true;
        done(result);
      };
      const failed = (error: unknown) =>
        once({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      try {
        // Some exporters' export is async (Cloud Trace's rejects when it cannot find the project): a rejection is a
        // failed export, never an unhandled rejection (which would end `platform serve`).
        const pending: unknown = inner.export(spans.map(scrubSpan), once);
        if (pending instanceof Promise) pending.catch(failed);
      } catch (error) {
        failed(error);
      }
    },
    shutdown: () => inner.shutdown(),
    ...(inner.forceFlush && { forceFlush: () => inner.forceFlush!() }),
  };
}

export interface Tracing {
  readonly config: TracingConfig;
  /** True when spans are recorded (an exporter is configured). */
  readonly enabled: boolean;
  /** Exports what is buffered. */
  flush(): Promise<void>;
  /** Flushes and stops the provider; later spans are no-ops. Safe to call twice. */
  shutdown(): Promise<void>;
}

export interface StartTracingOptions {
  /** `service.name` unless OTEL_SERVICE_NAME is set, e.g. `drchrono-sync`. */
  readonly serviceName: string;
  readonly env: TracingEnv;
  /**
   * Export here instead of what the environment says, through a SimpleSpanProcessor (tests: an
   * InMemorySpanExporter). Still scrubbed.
   */
  readonly exporter?: SpanExporter;
}

/**
 * Registers the process's tracer provider, the W3C trace-context propagator and the async-hooks context manager.
 * With exporter `none` (and no `exporter` option) nothing is registered: the API stays the no-op tracer.
 * @throws Error when an OTEL_ variable has a value that is not supported.
 */
export function startTracing(options: StartTracingOptions): Tracing {
  const config = tracingConfigFromEnv(options.env, options.serviceName);
  const exporter = options.exporter ?? createSpanExporter(config);
  if (!exporter) return { config, enabled: false, flush: async () => {}, shutdown: async () => {} };
  const scrubbed = scrubbingExporter(exporter);
  const processor: SpanProcessor = options.exporter
    ? new SimpleSpanProcessor(scrubbed)
    : new BatchSpanProcessor(scrubbed);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName }),
    spanProcessors: [processor],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  let stopped: Promise<void> | undefined;
  return {
    config,
    enabled: true,
    flush: () => provider.forceFlush(),
    shutdown() {
      stopped ??= (async () => {
        await provider.shutdown();
        trace.disable();
        propagation.disable();
      })();
      return stopped;
    },
  };
}
