import pRetry from 'p-retry';

/** postgres.js connection-state codes and PostgreSQL SQLSTATEs that mean "the server went away or is starting". */
const TRANSIENT_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up)
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
  // The whole transaction may be run again (inChangeTransaction's callers are idempotent): a deadlock victim or a
  // serialization failure succeeds on a second run.
  '40P01', // deadlock_detected
  '40001', // serialization_failure
]);

export function isTransientDatabaseError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}

export interface TransientRetryOptions {
  /** Attempts after the first. @default 5 */
  readonly retries?: number;
  /** @default 200 */
  readonly minTimeoutMs?: number;
  /** @default 3000 */
  readonly maxTimeoutMs?: number;
}

/**
 * Runs `work` again when it failed only because the database connection was lost or the server is restarting (a
 * Cloud SQL failover, a restart): the work must be a whole transaction, so a retry starts from a clean state. Other
 * errors are thrown at once.
 */
export function retryTransient<T>(work: () => Promise<T>, options: TransientRetryOptions = {}): Promise<T> {
  return pRetry(work, {
    retries: options.retries ?? 5,
    minTimeout: options.minTimeoutMs ?? 200,
    maxTimeout: options.maxTimeoutMs ?? 3000,
    randomize: true,
    shouldRetry: ({ error }) => isTransientDatabaseError(error),
  });
}
