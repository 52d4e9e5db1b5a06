/** The bus refused a message or did not answer: the outbox rows stay pending and the relay retries them. */
export class PublishError extends Error {
  override name = 'PublishError';
}

/** The HTTP push endpoint answered with a status Pub/Sub would treat as a nack (anything but 102/200/201/202/204). */
export class PushRejectedError extends PublishError {
  override name = 'PushRejectedError';
  constructor(
    readonly status: number,
    options?: ErrorOptions,
  ) {
    super(`push endpoint answered ${status}`, options);
  }
}

/** A publish did not resolve within the relay's publish timeout. */
export class PublishTimeoutError extends PublishError {
  override name = 'PublishTimeoutError';
}

/**
 * A short, PHI-free class for `outbox.last_error_class` and logs: the error's class name plus its code when it has one
 * (gRPC status, errno, HTTP status) — never its message.
 */
export function errorClass(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const code = (error as { code?: unknown }).code ?? (error as { status?: unknown }).status;
  const own = typeof code === 'string' || typeof code === 'number' ? `${error.name}:${code}` : error.name;
  const cause = error.cause === undefined ? '' : ` <- ${errorClass(error.cause)}`;
  return `${own}${cause}`.slice(0, 100);
}
