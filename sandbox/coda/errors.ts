/**
 * Coda's error body: `{"statusCode":404,"statusMessage":"Not Found","message":"…"}`.
 * Every non-2xx answer of the sandbox uses this shape, as Coda's API does.
 */
export interface CodaErrorBody {
  readonly statusCode: number;
  readonly statusMessage: string;
  readonly message: string;
}

const STATUS_MESSAGES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Builds a Coda-shaped error body for `status`. */
export function codaErrorBody(status: number, message?: string): CodaErrorBody {
  const statusMessage = STATUS_MESSAGES[status] ?? 'Error';
  return { statusCode: status, statusMessage, message: message ?? statusMessage };
}

/**
 * A request failure raised inside the store or a route; the app's error handler turns it into
 * a Coda-shaped JSON response with the same status.
 */
export class CodaApiError extends Error {
  override readonly name = 'CodaApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
