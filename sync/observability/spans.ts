import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type TimeInput,
} from '@opentelemetry/api';
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from '@opentelemetry/semantic-conventions';

// Span helpers over @opentelemetry/api alone: without a registered provider (tracing off, most tests) every call
// here is the API's no-op. Names and attributes are templates, table names, counts, classes and ids of our own
// (message ids, trace ids) — never a query parameter, a row value, a body or an error message.

export { SpanKind };
export type { Attributes, Link };

/** The tracer of this codebase (instrumentation scope). */
export const tracer = () => trace.getTracer('feel-august-platform');

/** The error's class (`name`), never its message. */
const errorTypeOf = (error: unknown): string =>
  error instanceof Error ? error.name : typeof error === 'object' && error !== null ? 'Object' : typeof error;

/** Marks the span failed with the error's class only (no message: messages may quote values). */
export function markError(span: Span, error: unknown): void {
  const type = errorTypeOf(error);
  span.setAttribute(ATTR_ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

export interface SpanOptions {
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  readonly links?: Link[];
  /** Parent context; @default the active one. */
  readonly parent?: Context;
  /** When the span started, if before this call (a span decided on afterwards). @default now */
  readonly startTime?: TimeInput;
}

/**
 * Runs `work` in a new active span named `name`, ends it when `work` settles, and marks it failed (error class only)
 * when `work` throws.
 */
export function withSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer().startActiveSpan(
    name,
    {
      ...(options.kind !== undefined && { kind: options.kind }),
      ...(options.attributes && { attributes: options.attributes }),
      ...(options.links && { links: options.links }),
      ...(options.startTime !== undefined && { startTime: options.startTime }),
    },
    parent,
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        markError(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * A span for one Postgres statement of a known kind, named by what it does (`upsert patients`, `outbox claim`,
 * `webhook delivery insert`), never by its text or parameters. `operation` is the SQL verb; `table` the table.
 */
export function dbSpan<T>(
  name: string,
  about: { readonly operation: string; readonly table?: string; readonly attributes?: Attributes },
  work: () => Promise<T>,
): Promise<T> {
  return withSpan(
    name,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
        [ATTR_DB_OPERATION_NAME]: about.operation,
        ...(about.table !== undefined && { [ATTR_DB_COLLECTION_NAME]: about.table }),
        ...about.attributes,
      },
    },
    work,
  );
}

/** A span for a statement that already ran (between `startTime` and `endTime`), decided on afterwards. */
export function recordDbSpan(
  name: string,
  about: { readonly operation: string; readonly table?: string; readonly attributes?: Attributes },
  startTime: TimeInput,
  endTime: TimeInput,
): void {
  tracer()
    .startSpan(name, {
      kind: SpanKind.CLIENT,
      startTime,
      attributes: {
        [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
        [ATTR_DB_OPERATION_NAME]: about.operation,
        ...(about.table !== undefined && { [ATTR_DB_COLLECTION_NAME]: about.table }),
        ...about.attributes,
      },
    })
    .end(endTime);
}

/** A context whose parent is `spanContext` (a remote one: a stored or received traceparent). */
export const contextWithParent = (spanContext: SpanContext): Context =>
  trace.setSpanContext(context.active(), spanContext);

/** W3C `traceparent`: version 00, 32 hex trace id, 16 hex span id, 2 hex flags; all-zero ids are invalid. */
const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
/** W3C `tracestate`: list members of printable ASCII, bounded (the spec allows 32 members of ≤ 256 chars). */
const TRACESTATE = /^[\x20-\x7E]{0,512}$/;

/** A well-formed W3C traceparent (only ids and flags: safe to store with an outbox row). */
export const isTraceparent = (value: unknown): value is string => typeof value === 'string' && TRACEPARENT.test(value);

/** The active span's W3C traceparent, or undefined when no span is recording (tracing off). */
export function activeTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return isTraceparent(carrier['traceparent']) ? carrier['traceparent'] : undefined;
}

/**
 * `attributes` plus the active context's `traceparent` (and `tracestate`), for a message that crosses a bus.
 * Unchanged when no span is active.
 */
export function withTraceContext(attributes: Readonly<Record<string, string>>): Record<string, string> {
  const carrier: Record<string, string> = { ...attributes };
  propagation.inject(context.active(), carrier);
  return carrier;
}

/**
 * The trace context a message or an outbox row carries (`traceparent`, optional `tracestate`), or undefined when it
 * carries none or a malformed one (an attribute is input: it is checked before it is believed).
 */
export function extractTraceContext(
  carrier: Readonly<Record<string, string | undefined>> | undefined,
): Context | undefined {
  const traceparent = carrier?.['traceparent'];
  if (!isTraceparent(traceparent)) return undefined;
  const tracestate = carrier?.['tracestate'];
  const clean: Record<string, string> = { traceparent };
  if (typeof tracestate === 'string' && TRACESTATE.test(tracestate)) clean['tracestate'] = tracestate;
  const extracted = propagation.extract(context.active(), clean);
  return trace.getSpanContext(extracted) ? extracted : undefined;
}

/** The span context a stored traceparent names (for span links), or undefined. */
export function spanContextOf(traceparent: string | null | undefined): SpanContext | undefined {
  const extracted = extractTraceContext(traceparent ? { traceparent } : undefined);
  return extracted && trace.getSpanContext(extracted);
}

/** The active span's context (e.g. to link to it), or undefined outside a recording span. */
export function activeSpanContext(): SpanContext | undefined {
  const span = trace.getActiveSpan();
  return span?.isRecording() ? span.spanContext() : undefined;
}

/**
 * The parent for consuming a message that carried `carrier`: the active context when it is already in the message's
 * trace (the HTTP bus also sends the W3C headers, so the server span is), else the message's context with a link to
 * the active span (Pub/Sub push: the server span is in the platform's own trace). Without a carrier, the active one.
 */
export function consumerParent(carrier: Readonly<Record<string, string | undefined>> | undefined): {
  readonly parent?: Context;
  readonly links: Link[];
} {
  const message = extractTraceContext(carrier);
  const messageSpan = message && trace.getSpanContext(message);
  const active = activeSpanContext();
  if (!messageSpan || (active && active.traceId === messageSpan.traceId)) return { links: [] };
  return { parent: message, links: active ? [{ context: active }] : [] };
}

/** Runs `work` with `parent` as the active context (a no-op wrapper when undefined). */
export function inContext<T>(parent: Context | undefined, work: () => T): T {
  return parent ? context.with(parent, work) : work();
}
