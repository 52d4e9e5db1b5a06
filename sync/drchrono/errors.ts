// Named failures of the DrChrono client, its call budget and its token manager. Messages carry path templates,
// statuses and times — never a query value, an id, a token or a record's content. Callers test with `instanceof`.

/** Base class of every failure of a call to DrChrono (budget, rate limit, auth, HTTP, network, protocol). */
export class DrChronoError extends Error {
  override name = 'DrChronoError';
}

/** The hourly call budget (shared by all instances) has no room left for this priority. */
export class CallBudgetExhaustedError extends DrChronoError {
  override name = 'CallBudgetExhaustedError';
  constructor(readonly resetsAt: Date) {
    super(`DrChrono call budget exhausted until ${resetsAt.toISOString()}`);
  }
}

/** DrChrono answered 429 and the client was told not to wait for the next hour. */
export class RateLimitedError extends DrChronoError {
  override name = 'RateLimitedError';
  constructor(readonly resetsAt: Date) {
    super(`DrChrono rate limit reached; it resets at ${resetsAt.toISOString()}`);
  }
}

/** The refresh token was refused (`invalid_grant`): an operator must re-authorise the DrChrono app. */
export class DrChronoAuthError extends DrChronoError {
  override name = 'DrChronoAuthError';
}

/** Any other non-2xx answer after retries; carries the status and the path template, never query values. */
export class DrChronoHttpError extends DrChronoError {
  override name = 'DrChronoHttpError';
  constructor(
    readonly status: number,
    readonly pathTemplate: string,
  ) {
    super(`DrChrono answered ${status} for ${pathTemplate}`);
  }
}

/** No answer from DrChrono (connection refused/reset, DNS, timeout) after retries; carries the path template only. */
export class DrChronoNetworkError extends DrChronoError {
  override name = 'DrChronoNetworkError';
  constructor(
    readonly pathTemplate: string,
    options?: { cause?: unknown },
  ) {
    super(`No answer from DrChrono for ${pathTemplate}`, options);
  }
}

/** DrChrono answered something the client cannot use (not a list envelope, or a `next` link to another origin). */
export class DrChronoProtocolError extends DrChronoError {
  override name = 'DrChronoProtocolError';
  constructor(
    readonly pathTemplate: string,
    reason: string,
  ) {
    super(`Unexpected DrChrono answer for ${pathTemplate}: ${reason}`);
  }
}
