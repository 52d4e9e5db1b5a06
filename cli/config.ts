import { z } from 'zod';

/** Thrown with every missing or bad variable listed, so one start-up attempt tells the operator everything. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

// The services' variables are declared in the deploy contract; this module turns a failed parse into one message.
export { drchronoEnvSchema, serviceEnvSchema } from '../contract/env.js';
export type ServiceEnv = z.infer<typeof import('../contract/env.js').serviceEnvSchema>;

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

export type DrChronoEnv = z.infer<typeof import('../contract/env.js').drchronoEnvSchema>;
