import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Field names that can carry PHI. Log calls should pass ids and counts only; this list is the safety net that
 * replaces such a value wherever it appears at the top level or one object deep (e.g. `{ patient: { email } }`).
 */
export const PHI_FIELDS = [
  'first_name',
  'last_name',
  'middle_name',
  'nick_name',
  'firstName',
  'lastName',
  'name',
  'date_of_birth',
  'dateOfBirth',
  'dob',
  'email',
  'cell_phone',
  'home_phone',
  'office_phone',
  'phone',
  'address',
  'zip_code',
  'ssn',
  'social_security_number',
  'transcript',
  'notes',
  'note',
  'soap',
  'body',
  'raw',
  'cells',
  'values',
  'authorization',
  'cookie',
  'password',
  'token',
  'access_token',
  'refresh_token',
  'secret',
] as const;

const cloudSeverity: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

export interface LoggerOptions {
  /** pino level. @default 'info' */
  readonly level?: string;
  /** Service name written to every line. */
  readonly service: string;
  /** Where lines go. @default stdout */
  readonly destination?: DestinationStream;
}

/**
 * JSON lines in Cloud Logging's structured format (`severity`, `message`), with PHI-bearing fields redacted and
 * `err` serialised as class name and stack only — an error message may quote a value, so it is not logged.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ severity: cloudSeverity[label] ?? 'DEFAULT' }) },
      redact: { paths: PHI_FIELDS.flatMap((f) => [f, `*.${f}`]), censor: '[redacted]' },
      serializers: { err: serializeError },
    },
    options.destination,
  );
}

/** The error's class and code, never its message (Postgres and HTTP errors quote values). */
export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const code = (error as { code?: unknown }).code;
  return { type: error.name, ...(typeof code === 'string' ? { code } : {}) };
}
