import { z } from 'zod';

/** Thrown with every missing or bad variable listed, so one start-up attempt tells the operator everything. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

export const serviceEnvSchema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  LOG_LEVEL: logLevel.default('info'),
});
export type ServiceEnv = z.infer<typeof serviceEnvSchema>;

/** Validates `env` against `schema`; the error names each variable and what is wrong, never its value. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    const what = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
    return `  ${name}: ${what}`;
  });
  throw new ConfigError(`Invalid configuration; set these environment variables:\n${problems.join('\n')}`);
}

const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL');
const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as America/New_York');

/** What talking to DrChrono needs (DESIGN §9). */
export const drchronoEnvSchema = z.object({
  DATABASE_URL: postgresUrl,
  DRCHRONO_BASE_URL: z.url().default('https://app.drchrono.com'),
  DRCHRONO_CLIENT_ID: z.string().min(1),
  DRCHRONO_CLIENT_SECRET: z.string().min(1),
  DRCHRONO_TOKEN_STORE: z.string().regex(/^(file:.+|secret-manager:projects\/[^/]+\/secrets\/[^/]+)$/, 'must be file:<path> or secret-manager:projects/<p>/secrets/<s>'),
  DRCHRONO_TIMEZONE: timeZone.default('America/New_York'),
  DRCHRONO_HOURLY_CALL_LIMIT: z.coerce.number().int().min(1).default(480),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  LOG_LEVEL: logLevel.default('info'),
});
export type DrChronoEnv = z.infer<typeof drchronoEnvSchema>;
