import { TraceExporter as CloudTraceExporter } from '@google-cloud/opentelemetry-cloud-trace-exporter';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ConsoleSpanExporter, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { serviceEnvSchema } from '../../../contract/env.js';
import {
  activeTraceparent,
  extractTraceContext,
  isTraceparent,
  withSpan,
  withTraceContext,
} from '../../../sync/observability/spans.js';
import {
  createSpanExporter,
  scrubbingExporter,
  describeTracing,
  startTracing,
  tracingConfigFromEnv,
} from '../../../sync/observability/tracing.js';

describe('tracingConfigFromEnv: the exporter the OTEL_ variables choose', () => {
  it('is off by default (tests, a plain `platform serve`), with the service name given', () => {
    expect(tracingConfigFromEnv({}, 'drchrono-sync')).toEqual({ exporter: 'none', serviceName: 'drchrono-sync' });
    expect(createSpanExporter(tracingConfigFromEnv({}, 'x'))).toBeUndefined();
  });

  it('is OTLP http/protobuf to <endpoint>/v1/traces when OTEL_EXPORTER_OTLP_ENDPOINT is set', () => {
    const config = tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318/' }, 'coda-push');
    expect(config).toEqual({
      exporter: 'otlp',
      serviceName: 'coda-push',
      otlpUrl: 'http://localhost:4318/v1/traces',
      otlpProtocol: 'http/protobuf',
    });
    expect(createSpanExporter(config)).toBeInstanceOf(OtlpProtoExporter);
  });

  it('uses the OTLP http/json exporter for OTEL_EXPORTER_OTLP_PROTOCOL=http/json', () => {
    const config = tracingConfigFromEnv(
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
      'x',
    );
    expect(config.otlpProtocol).toBe('http/json');
    expect(createSpanExporter(config)).toBeInstanceOf(OtlpJsonExporter);
  });

  it('takes OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as the full URL, and the local default with OTEL_TRACES_EXPORTER=otlp alone', () => {
    expect(
      tracingConfigFromEnv(
        { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://otel.example/traces', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a' },
        'x',
      ).otlpUrl,
    ).toBe('https://otel.example/traces');
    expect(tracingConfigFromEnv({ OTEL_TRACES_EXPORTER: 'otlp' }, 'x').otlpUrl).toBe('http://localhost:4318/v1/traces');
  });

  it('is Cloud Trace on Cloud Run (K_SERVICE) and when OTEL_TRACES_EXPORTER=gcp', () => {
    expect(tracingConfigFromEnv({ K_SERVICE: 'coda-push' }, 'coda-push').exporter).toBe('gcp');
    const config = tracingConfigFromEnv({ OTEL_TRACES_EXPORTER: 'gcp' }, 'x');
    expect(config).toEqual({ exporter: 'gcp', serviceName: 'x' });
    expect(createSpanExporter(config)).toBeInstanceOf(CloudTraceExporter);
  });

  it('lets OTEL_TRACES_EXPORTER win over the defaults (console, none), and OTEL_SERVICE_NAME over the name', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', K_SERVICE: 's', OTEL_SERVICE_NAME: 'mine' };
    expect(tracingConfigFromEnv({ ...env, OTEL_TRACES_EXPORTER: 'none' }, 'x')).toEqual({
      exporter: 'none',
      serviceName: 'mine',
    });
    const console = tracingConfigFromEnv({ ...env, OTEL_TRACES_EXPORTER: 'console' }, 'x');
    expect(console.exporter).toBe('console');
    expect(createSpanExporter(console)).toBeInstanceOf(ConsoleSpanExporter);
  });

  it('refuses what it cannot do, naming the variable', () => {
    expect(() => tracingConfigFromEnv({ OTEL_TRACES_EXPORTER: 'zipkin' }, 'x')).toThrow(/OTEL_TRACES_EXPORTER/);
    expect(() =>
      tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'x'),
    ).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL/);
  });

  it('says where traces go, and how to turn them on when off', () => {
    expect(describeTracing(tracingConfigFromEnv({}, 'x'))).toMatch(
      /off.*OTEL_EXPORTER_OTLP_ENDPOINT=http:\/\/localhost:4318/,
    );
    expect(describeTracing(tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, 'x'))).toContain(
      'http://c:4318/v1/traces',
    );
    expect(describeTracing(tracingConfigFromEnv({ K_SERVICE: 'x' }, 'x'))).toContain('Cloud Trace');
  });

  it('is part of the services’ env contract, with the same values', () => {
    const base = { DATABASE_URL: 'postgres://u@h/db' };
    expect(serviceEnvSchema.parse({ ...base, OTEL_TRACES_EXPORTER: 'gcp' }).OTEL_TRACES_EXPORTER).toBe('gcp');
    expect(serviceEnvSchema.safeParse({ ...base, OTEL_TRACES_EXPORTER: 'zipkin' }).success).toBe(false);
    expect(serviceEnvSchema.safeParse({ ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).success).toBe(false);
  });
});

describe('startTracing', () => {
  it('registers nothing when off: spans are the no-op kind and carry no traceparent', async () => {
    const tracing = startTracing({ serviceName: 'x', env: {} });
    expect(tracing.enabled).toBe(false);
    await withSpan('anything', {}, async (span) => {
      expect(span.isRecording()).toBe(false);
      expect(activeTraceparent()).toBeUndefined();
      expect(withTraceContext({ table: 'patients' })).toEqual({ table: 'patients' });
    });
    await tracing.shutdown();
  });

  it('exports scrubbed spans: url.full without query and with the route template, exceptions without messages', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing({ serviceName: 'scrub-test', env: {}, exporter });
    try {
      const tracer = trace.getTracer('test');
      const span = tracer.startSpan('GET /patients/:id', {
        attributes: { 'url.full': 'http://h/patients/123?name=Ada+Lovelace', 'http.route': '/patients/:id' },
      });
      span.recordException(new Error('duplicate key: Ada Lovelace'));
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'Ada Lovelace' });
      span.end();
      await expect(withSpan('fails', {}, async () => Promise.reject(new TypeError('Ada Lovelace')))).rejects.toThrow();
      await tracing.flush();
      const [scrubbed, failed] = exporter.getFinishedSpans();
      expect(scrubbed!.attributes['url.full']).toBe('http://h/patients/:id');
      expect(scrubbed!.events[0]!.attributes).toEqual({
        'exception.type': 'Error',
        'exception.stacktrace': expect.stringMatching(/^\s+at /),
      });
      expect(JSON.stringify(scrubbed!.events)).not.toContain('Ada');
      expect(scrubbed!.status).toEqual({ code: SpanStatusCode.ERROR });
      expect(scrubbed!.resource.attributes['service.name']).toBe('scrub-test');
      expect(failed!.attributes['error.type']).toBe('TypeError');
      expect(failed!.status).toEqual({ code: SpanStatusCode.ERROR });
    } finally {
      await tracing.shutdown();
    }
  });

  it('turns an exporter whose export rejects (Cloud Trace without a project) into a failed export', async () => {
    const rejecting = {
      export: async () => {
        throw new Error('Unable to detect a Project Id');
      },
      shutdown: async () => {},
    };
    const result = await new Promise<{ code: number; error?: Error }>((resolve) =>
      scrubbingExporter(rejecting as never).export([], resolve),
    );
    expect(result.code).toBe(1); // ExportResultCode.FAILED
    expect(result.error?.message).toMatch(/Project Id/);
  });

  it('injects and extracts W3C trace context through message attributes', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing({ serviceName: 'x', env: {}, exporter });
    try {
      await withSpan('publish', {}, async (span) => {
        const attributes = withTraceContext({ table: 'patients' });
        expect(attributes['table']).toBe('patients');
        expect(isTraceparent(attributes['traceparent'])).toBe(true);
        expect(attributes['traceparent']).toBe(activeTraceparent());
        const extracted = extractTraceContext(attributes)!;
        expect(trace.getSpanContext(extracted)?.traceId).toBe(span.spanContext().traceId);
      });
      expect(extractTraceContext({ traceparent: '00-0000-0000-01' })).toBeUndefined();
      expect(extractTraceContext({ traceparent: `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01` })).toBeUndefined();
      expect(extractTraceContext(undefined)).toBeUndefined();
    } finally {
      await tracing.shutdown();
    }
  });
});
