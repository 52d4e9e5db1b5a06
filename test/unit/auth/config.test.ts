import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnv, serviceEnvSchema } from '../../../cli/config.js';
import { authEnvSchema, authEnvShape, authSettingsFromEnv, checkAuthEnv } from '../../../sync/auth/index.js';

const deployed = {
  AUTH_OIDC_AUDIENCE: 'https://coda-push-abc.a.run.app, https://push.feelaugust.example',
  AUTH_OIDC_ALLOWED_EMAILS: 'push@feel-august.iam.gserviceaccount.com',
  K_SERVICE: 'coda-push',
};

describe('auth configuration', () => {
  it('defaults to OIDC with Google key sets and splits comma lists', () => {
    const env = authEnvSchema.parse(deployed);
    expect(env.PUSH_AUTH).toBe('oidc');
    expect(env.AUTH_OIDC_JWKS_URL).toBe('https://www.googleapis.com/oauth2/v3/certs');
    expect(env.AUTH_IAP_JWKS_URL).toBe('https://www.gstatic.com/iap/verify/public_key-jwk');
    const settings = authSettingsFromEnv(env);
    expect(settings.oidc).toEqual({
      jwksUrl: 'https://www.googleapis.com/oauth2/v3/certs',
      audience: ['https://coda-push-abc.a.run.app', 'https://push.feelaugust.example'],
      allowedEmails: ['push@feel-august.iam.gserviceaccount.com'],
    });
    expect(settings.iap).toBeUndefined();
    expect(settings.kService).toBe('coda-push');
  });

  it('keeps a separate allow-list for Pub/Sub push when PUSH_OIDC_ALLOWED_EMAILS is set, else shares the operator one', () => {
    const separate = authSettingsFromEnv(
      authEnvSchema.parse({
        ...deployed,
        AUTH_OIDC_ALLOWED_EMAILS: 'scheduler-invoker@feel-august.iam.gserviceaccount.com',
        PUSH_OIDC_ALLOWED_EMAILS: 'push@feel-august.iam.gserviceaccount.com',
      }),
    );
    expect(separate.oidc?.allowedEmails).toEqual(['scheduler-invoker@feel-august.iam.gserviceaccount.com']);
    expect(separate.pushOidc?.allowedEmails).toEqual(['push@feel-august.iam.gserviceaccount.com']);
    expect(separate.pushOidc?.audience).toEqual(separate.oidc?.audience);
    const shared = authSettingsFromEnv(authEnvSchema.parse(deployed));
    expect(shared.pushOidc).toEqual(shared.oidc);
    expect(
      authEnvSchema
        .safeParse({ ...deployed, PUSH_OIDC_ALLOWED_EMAILS: 'nobody' })
        .error?.issues.map((i) => i.path.join('.')),
    ).toEqual(['PUSH_OIDC_ALLOWED_EMAILS']);
  });

  it('enables IAP only when AUTH_IAP_AUDIENCE is set', () => {
    const env = authEnvSchema.parse({ ...deployed, AUTH_IAP_AUDIENCE: '/projects/1/global/backendServices/2' });
    expect(authSettingsFromEnv(env).iap).toEqual({
      jwksUrl: 'https://www.gstatic.com/iap/verify/public_key-jwk',
      audience: '/projects/1/global/backendServices/2',
    });
  });

  it('refuses PUSH_AUTH=none when K_SERVICE is set, naming the variable and the fix', () => {
    const result = authEnvSchema.safeParse({ ...deployed, PUSH_AUTH: 'none' });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['PUSH_AUTH'],
        message: expect.stringMatching(/refused on Cloud Run \(K_SERVICE is set\); use 'oidc'/),
      }),
    ]);
  });

  it('allows PUSH_AUTH=none locally without any OIDC settings', () => {
    const env = authEnvSchema.parse({ PUSH_AUTH: 'none' });
    expect(authSettingsFromEnv(env)).toMatchObject({ pushAuth: 'none', oidc: undefined, kService: undefined });
  });

  it('requires the OIDC audience and allowed emails unless PUSH_AUTH=none', () => {
    const result = authEnvSchema.safeParse({});
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual([
      'AUTH_OIDC_AUDIENCE',
      'AUTH_OIDC_ALLOWED_EMAILS',
    ]);
  });

  it.each([
    ['AUTH_OIDC_ALLOWED_EMAILS', { AUTH_OIDC_ALLOWED_EMAILS: 'not-an-email' }],
    ['AUTH_OIDC_AUDIENCE', { AUTH_OIDC_AUDIENCE: ' , ' }],
    ['PUSH_AUTH', { PUSH_AUTH: 'off' }],
    ['AUTH_OIDC_JWKS_URL', { AUTH_OIDC_JWKS_URL: 'ftp://keys.example' }],
  ])('rejects a bad %s', (name, bad) => {
    const result = authEnvSchema.safeParse({ ...deployed, ...bad });
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain(name);
  });

  it('merges into the CLI service schema and reports through its ConfigError, without values', () => {
    const schema = serviceEnvSchema.extend(authEnvShape).superRefine(checkAuthEnv);
    const env = { DATABASE_URL: 'postgres://u@h/db', ...deployed, PUSH_AUTH: 'none' };
    expect(() => parseEnv(schema, env)).toThrow(ConfigError);
    expect(() => parseEnv(schema, env)).toThrow(/PUSH_AUTH: 'none' is refused on Cloud Run/);
    expect(parseEnv(schema, { ...env, PUSH_AUTH: 'oidc' })).toMatchObject({ PORT: 8080, PUSH_AUTH: 'oidc' });
  });
});
