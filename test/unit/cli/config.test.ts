import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnv, serviceEnvSchema } from '../../../cli/config.js';
import { main } from '../../../cli/main.js';

describe('parseEnv', () => {
  it('lists every missing or bad variable in one error, without echoing values', () => {
    let error: unknown;
    try {
      parseEnv(serviceEnvSchema, { PORT: 'not-a-port-secret', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/DATABASE_URL: is required/);
    expect(message).toMatch(/PORT:/);
    expect(message).toMatch(/LOG_LEVEL:/);
    expect(message).not.toContain('not-a-port-secret');
  });

  it('applies the documented defaults', () => {
    expect(parseEnv(serviceEnvSchema, { DATABASE_URL: 'postgres://x@h/db' })).toEqual({
      DATABASE_URL: 'postgres://x@h/db',
      DATABASE_AUTH: 'password',
      PORT: 8080,
      DB_POOL_MAX: 10,
      LOG_LEVEL: 'info',
    });
  });
});

describe('platform CLI', () => {
  const capture = (env: NodeJS.ProcessEnv = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { env, stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) }, out, err };
  };

  it('prints usage and exits 64 for an unknown command', async () => {
    const { io, err } = capture();
    expect(await main(['frobnicate'], io)).toBe(64);
    expect(err.join('')).toMatch(/usage: platform <command>/);
  });

  it('exits 78 with the configuration problems when serve lacks DATABASE_URL', async () => {
    const { io, err } = capture();
    expect(await main(['serve', 'drchrono-sync'], io)).toBe(78);
    expect(err.join('')).toMatch(/DATABASE_URL: is required/);
  });

  it('refuses an unknown service name', async () => {
    const { io, err } = capture();
    expect(await main(['serve', 'everything'], io)).toBe(64);
    expect(err.join('')).toMatch(/drchrono-sync\|coda-push/);
  });
});
