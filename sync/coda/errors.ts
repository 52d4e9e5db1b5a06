// Named failures of the Coda client, the column map and the push. Messages carry path templates, table names,
// column ids and counts — never a cell value (which could be PHI). Callers test with `instanceof`.

/** Base class of every failure of a call to Coda. `pathTemplate` has no ids or values. */
export class CodaError extends Error {
  override name = 'CodaError';
  constructor(
    message: string,
    readonly pathTemplate: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Coda answered with a non-2xx status that was not retried (4xx other than 429) or kept failing (5xx). */
export class CodaHttpError extends CodaError {
  override name = 'CodaHttpError';
  constructor(
    readonly status: number,
    pathTemplate: string,
    options?: { cause?: unknown; retryAfterMs?: number | undefined },
  ) {
    super(`Coda answered ${status} for ${pathTemplate}`, pathTemplate, options);
    this.retryAfterMs = options?.retryAfterMs;
  }

  /** `Retry-After` of a 5xx answer, in ms, when Coda sent one. */
  readonly retryAfterMs: number | undefined;
}

/** Coda kept answering 429 (over 10 writes / 6 s per token) after every retry. */
export class CodaRateLimitedError extends CodaError {
  override name = 'CodaRateLimitedError';
  constructor(
    pathTemplate: string,
    /** The last `Retry-After`, in ms, when Coda sent one. */
    readonly retryAfterMs: number | undefined,
  ) {
    super(`Coda answered 429 for ${pathTemplate} after every retry`, pathTemplate);
  }
}

/** No answer: connection refused, reset, or the per-call timeout. */
export class CodaNetworkError extends CodaError {
  override name = 'CodaNetworkError';
  constructor(pathTemplate: string, options?: { cause?: unknown }) {
    super(`No answer from Coda for ${pathTemplate}`, pathTemplate, options);
  }
}

/** A 2xx answer whose body is not what Coda documents. */
export class CodaProtocolError extends CodaError {
  override name = 'CodaProtocolError';
  constructor(pathTemplate: string, what: string) {
    super(`Unexpected answer from Coda for ${pathTemplate}: ${what}`, pathTemplate);
  }
}

/** Coda accepted an upsert (202) but did not report it applied before the deadline; the message is nacked. */
export class CodaMutationTimeoutError extends Error {
  override name = 'CodaMutationTimeoutError';
  constructor(
    /** Coda's mutation request ids still pending (not PHI). */
    readonly pendingRequestIds: readonly string[],
    readonly timeoutMs: number,
  ) {
    super(`${pendingRequestIds.length} Coda mutation(s) not completed within ${timeoutMs} ms`);
  }
}

/** The column map does not fit Postgres or the Coda doc; `problems` has one line per fix. */
export class CodaMappingError extends Error {
  override name = 'CodaMappingError';
  constructor(
    readonly problems: readonly string[],
    heading = 'Coda column map is invalid',
  ) {
    super(`${heading}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** A change event names a table the column map does not cover; retrying cannot help. */
export class UnknownTableError extends Error {
  override name = 'UnknownTableError';
  constructor(readonly table: string) {
    super(`No Coda mapping for table "${table}"`);
  }
}

/**
 * Rows named by a change event no longer exist in Postgres (hard-deleted). A poison message: it is not acked, so
 * Pub/Sub dead-letters it after the configured attempts; `platform dlq replay` brings it back once fixed.
 */
export class RowsMissingError extends Error {
  override name = 'RowsMissingError';
  constructor(
    readonly table: string,
    /** Row ids (bigserial, not PHI). */
    readonly missingIds: readonly number[],
  ) {
    super(`${missingIds.length} row(s) of ${table} named by the event no longer exist`);
  }
}

/**
 * The caller (Pub/Sub push, or the relay's HTTP publish) stopped waiting before this push got its table's write
 * turn, so it was not started: the message was nacked and comes again, and whoever pushes next reads newer rows.
 */
export class PushAbandonedError extends Error {
  override name = 'PushAbandonedError';
  constructor(readonly table: string) {
    super(`push of ${table} abandoned: the caller stopped waiting before its write turn`);
  }
}
