import { z } from 'zod';
import { APP_DATABASE_ROLE, CHANGE_EVENTS_TOPIC, PRACTICE_TIME_ZONE, type ServiceName } from './resources.js';

// Each service's environment, as the service validates it at start-up and as the stacks must provide it. The stacks
// type their Cloud Run `env` against these schemas' keys (a misspelt variable does not compile) and a test parses the
// synthesized environment with them.

/** Google's JWKS for ID tokens (Cloud Scheduler, Pub/Sub push). */
export const GOOGLE_JWKS_URL = 'https://www.googleapis.com/oauth2/v3/certs';
/** IAP's signing keys. */
export const IAP_JWKS_URL = 'https://www.gstatic.com/iap/verify/public_key-jwk';
/** Coda API root. */
export const CODA_DEFAULT_BASE_URL = 'https://coda.io/apis/v1';
/** Secret Manager REST API root (the DrChrono token store). */
export const SECRET_MANAGER_DEFAULT_BASE_URL = 'https://secretmanager.googleapis.com/v1';
/** DrChrono API root. */
export const DRCHRONO_DEFAULT_BASE_URL = 'https://app.drchrono.com';

export const pushAuthModes = ['oidc', 'none'] as const;
export type PushAuthMode = (typeof pushAuthModes)[number];
/** How the services log in to Postgres: the URL's password, or a Cloud SQL IAM token (`sqlservice.login`). */
export const databaseAuthModes = ['password', 'cloudsql-iam'] as const;

const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);
const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL');
const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as America/New_York');
const commaList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== ''),
  )
  .refine((list) => list.length > 0, 'must list at least one value (comma-separated)');
const emailList = commaList.refine(
  (list) => list.every((e) => /^[^@\s]+@[^@\s]+$/.test(e)),
  'must be comma-separated email addresses',
);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** 32 bytes of standard base64 (AES-256); the same rule as the Deep Cura decryptor's. */
const aes256Key = z
  .string()
  .refine(
    (v) => BASE64.test(v.trim()) && Buffer.from(v.trim(), 'base64').length === 32,
    'must be 32 bytes, base64 (openssl rand -base64 32)',
  );
const pubsubId = z
  .string()
  .regex(/^[A-Za-z][\w.~+%-]{2,254}$/, 'must be a Pub/Sub id (3–255 characters starting with a letter)');

/** `OTEL_TRACES_EXPORTER` values: OTLP (any collector), Cloud Trace, stdout, off. */
export const tracesExporters = ['otlp', 'gcp', 'console', 'none'] as const;
/** `OTEL_EXPORTER_OTLP_PROTOCOL` values supported (OTLP over HTTP; no gRPC). */
export const otlpProtocols = ['http/json', 'http/protobuf'] as const;

/**
 * The standard OpenTelemetry variables the services honour (sync/observability/tracing.ts). Unset: OTLP when an
 * endpoint is set, Cloud Trace on Cloud Run (`K_SERVICE`), else off.
 */
export const tracingEnvShape = {
  OTEL_SERVICE_NAME: z.string().trim().min(1).optional(),
  OTEL_TRACES_EXPORTER: z.enum(tracesExporters).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(otlpProtocols).optional(),
};

/** Both services. */
export const serviceEnvShape = {
  ...tracingEnvShape,
  DATABASE_URL: postgresUrl,
  /** `cloudsql-iam`: the URL names an IAM database user and no password; each connection gets a fresh IAM token. */
  DATABASE_AUTH: z.enum(databaseAuthModes).default('password'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  LOG_LEVEL: logLevel.default('info'),
};
export const serviceEnvSchema = z.object(serviceEnvShape);

/** What talking to DrChrono needs (drchrono-sync, `platform sync`). */
export const drchronoEnvShape = {
  ...serviceEnvShape,
  DRCHRONO_BASE_URL: z.url().default(DRCHRONO_DEFAULT_BASE_URL),
  DRCHRONO_CLIENT_ID: z.string().min(1),
  DRCHRONO_CLIENT_SECRET: z.string().min(1),
  DRCHRONO_TOKEN_STORE: z
    .string()
    .regex(
      /^(file:.+|secret-manager:projects\/[^/]+\/secrets\/[^/]+)$/,
      'must be file:<path> or secret-manager:projects/<p>/secrets/<s>',
    ),
  DRCHRONO_TIMEZONE: timeZone.default(PRACTICE_TIME_ZONE),
  DRCHRONO_HOURLY_CALL_LIMIT: z.coerce.number().int().min(1).default(480),
  /** Calls per hour kept for the 15-minute cycles; full and deep walks get the rest (sync/drchrono/budget.ts). */
  DRCHRONO_INCREMENTAL_RESERVE: z.coerce.number().int().min(0).optional(),
  /** A critical lab result's review item still open after this many minutes raises the overdue alert. */
  LAB_CRITICAL_REVIEW_MINUTES: z.coerce.number().int().min(1).default(60),
  /** Where a `secret-manager:` token store talks to; the stack never sets it (a stand-in does: `platform rehearse`). */
  SECRET_MANAGER_BASE_URL: z.url({ protocol: /^https?$/ }).default(SECRET_MANAGER_DEFAULT_BASE_URL),
};
export const drchronoEnvSchema = z.object(drchronoEnvShape);

/** Callers the services admit: Google OIDC (scheduler, push), IAP (staff). */
export const authEnvShape = {
  AUTH_OIDC_JWKS_URL: z.url({ protocol: /^https?$/ }).default(GOOGLE_JWKS_URL),
  AUTH_OIDC_AUDIENCE: commaList.optional(),
  AUTH_OIDC_ALLOWED_EMAILS: emailList.optional(),
  PUSH_OIDC_ALLOWED_EMAILS: emailList.optional(),
  AUTH_IAP_AUDIENCE: z.string().trim().min(1).optional(),
  AUTH_IAP_JWKS_URL: z.url({ protocol: /^https?$/ }).default(IAP_JWKS_URL),
  PUSH_AUTH: z.enum(pushAuthModes).default('oidc'),
  K_SERVICE: z.string().optional(),
};
const authEnvObject = z.object(authEnvShape);
export type AuthEnv = z.infer<typeof authEnvObject>;

/** The rules across auth variables: `none` is refused on Cloud Run; `oidc` needs an audience and callers. */
export function checkAuthEnv(env: AuthEnv, ctx: z.RefinementCtx): void {
  if (env.PUSH_AUTH === 'none' && env.K_SERVICE) {
    ctx.addIssue({
      code: 'custom',
      path: ['PUSH_AUTH'],
      message:
        "'none' is refused on Cloud Run (K_SERVICE is set); use 'oidc' with AUTH_OIDC_AUDIENCE and AUTH_OIDC_ALLOWED_EMAILS",
    });
  }
  if (env.PUSH_AUTH === 'oidc') {
    if (!env.AUTH_OIDC_AUDIENCE) {
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_OIDC_AUDIENCE'],
        message: "is required when PUSH_AUTH is 'oidc' (the service URL)",
      });
    }
    if (!env.AUTH_OIDC_ALLOWED_EMAILS) {
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_OIDC_ALLOWED_EMAILS'],
        message: "is required when PUSH_AUTH is 'oidc' (the caller service accounts, comma-separated)",
      });
    }
  }
}
export const authEnvSchema = authEnvObject.superRefine(checkAuthEnv);

/** The change-event bus. */
export const eventBusShape = {
  EVENT_BUS: z.enum(['pubsub', 'http']).default('pubsub'),
  PUBSUB_PROJECT_ID: z.string().min(1).optional(),
  PUBSUB_TOPIC: pubsubId.default(CHANGE_EVENTS_TOPIC),
  PUBSUB_EMULATOR_HOST: z
    .string()
    .regex(/^[\w.-]+:\d+$/, 'must be host:port')
    .optional(),
  PUSH_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
};

/** Everything drchrono-sync reads from the environment (DESIGN §9). */
export const drchronoSyncEnvSchema = z
  .object({
    ...drchronoEnvShape,
    DRCHRONO_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters'),
    DEEPCURA_KEY: aes256Key,
    ...eventBusShape,
    ...authEnvShape,
  })
  .superRefine((env, ctx) => {
    checkAuthEnv(env, ctx);
    if (env.EVENT_BUS === 'pubsub' && !env.PUBSUB_PROJECT_ID)
      ctx.addIssue({ code: 'custom', path: ['PUBSUB_PROJECT_ID'], message: "is required when EVENT_BUS is 'pubsub'" });
    if (env.EVENT_BUS === 'http' && !env.PUSH_ENDPOINT)
      ctx.addIssue({
        code: 'custom',
        path: ['PUSH_ENDPOINT'],
        message: "is required when EVENT_BUS is 'http' (coda-push's /pubsub/push URL)",
      });
  });
export type DrChronoSyncEnv = z.infer<typeof drchronoSyncEnvSchema>;

/**
 * The Coda variables (DESIGN §9). The column map comes from exactly one of `CODA_MAPPING` (a file: `npm start`,
 * tests) or `CODA_MAPPING_JSON` (the map itself: Cloud Run, from the `coda-mapping` secret).
 */
export const codaEnvShape = {
  CODA_BASE_URL: z.url({ protocol: /^https?$/ }).default(CODA_DEFAULT_BASE_URL),
  CODA_API_TOKEN: z.string().min(1, 'is required (the Coda API token)'),
  CODA_DOC_ID: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be a Coda doc id (the part after _d in the doc URL)'),
  CODA_MAPPING: z.string().min(1, 'must be the path of the JSON column map').optional(),
  CODA_MAPPING_JSON: z.string().min(2, 'must be the JSON column map').optional(),
  CODA_MUTATION_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(540_000).default(60_000),
};
const codaEnvObject = z.object(codaEnvShape);
export type CodaEnv = z.infer<typeof codaEnvObject>;

export function checkCodaEnv(env: Pick<CodaEnv, 'CODA_MAPPING' | 'CODA_MAPPING_JSON'>, ctx: z.RefinementCtx): void {
  if ((env.CODA_MAPPING === undefined) === (env.CODA_MAPPING_JSON === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['CODA_MAPPING'],
      message: 'set exactly one of CODA_MAPPING (a file path) or CODA_MAPPING_JSON (the map itself)',
    });
  }
}
export const codaEnvSchema = codaEnvObject.superRefine(checkCodaEnv);

/** Everything coda-push reads from the environment (DESIGN §9). */
export const codaPushEnvSchema = z
  .object({ ...serviceEnvShape, ...codaEnvShape, ...authEnvShape })
  .superRefine((env, ctx) => {
    checkAuthEnv(env, ctx);
    checkCodaEnv(env, ctx);
  });
export type CodaPushEnv = z.infer<typeof codaPushEnvSchema>;

/** Each service's schema, for the CLI and for the stacks' contract test. */
export const serviceEnvSchemas = {
  'drchrono-sync': drchronoSyncEnvSchema,
  'coda-push': codaPushEnvSchema,
} as const satisfies Record<ServiceName, z.ZodType>;

/** The variable names a service reads: what a stack may set on it (a typo does not compile). */
export type ServiceEnvName<S extends ServiceName> = keyof z.input<(typeof serviceEnvSchemas)[S]> & string;

/** `platform migrate` (the migration job): where, as whom, and which logins get the application role afterwards. */
export const migrateEnvSchema = z.object({
  DATABASE_URL: postgresUrl,
  DATABASE_AUTH: serviceEnvShape.DATABASE_AUTH,
  /** Logins (the services' IAM database users) granted the application role after migrating; comma-separated. */
  DATABASE_APP_LOGINS: commaList.optional(),
  DATABASE_APP_ROLE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a role name')
    .default(APP_DATABASE_ROLE),
});
export type MigrateEnvName = keyof z.input<typeof migrateEnvSchema> & string;

/**
 * `platform anonymize` (the prod-project job that loads staging): the prod snapshot it reads, the staging database it
 * writes, how it logs in to each, and the pseudonym key (Secret Manager `anonymize-key`; never leaves prod). The
 * command-line flags `--from`, `--to` and `--key-file` take precedence.
 */
export const anonymizeEnvSchema = z.object({
  ANONYMIZE_SOURCE_URL: postgresUrl.optional(),
  ANONYMIZE_SOURCE_AUTH: serviceEnvShape.DATABASE_AUTH,
  ANONYMIZE_TARGET_URL: postgresUrl.optional(),
  ANONYMIZE_TARGET_AUTH: serviceEnvShape.DATABASE_AUTH,
  ANONYMIZE_KEY: z.string().min(32, 'must be at least 32 bytes of key material (openssl rand -base64 48)').optional(),
});
export type AnonymizeEnvName = keyof z.input<typeof anonymizeEnvSchema> & string;
