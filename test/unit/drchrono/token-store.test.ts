import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSecretManagerSandbox, type RunningSecretManagerSandbox } from '../../../sandbox/secret-manager/index.js';
import {
  FileTokenStore,
  parseTokenStore,
  SecretManagerError,
  SecretManagerTokenStore,
  TokenStoreFormatError,
  type TokenPair,
} from '../../../sync/drchrono/token-store.js';

const pair = (n: number): TokenPair => ({
  accessToken: `access-${n}`,
  refreshToken: `refresh-${n}`,
  expiresAt: new Date(Date.UTC(2026, 2, 1, n)),
});

describe('FileTokenStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'token-store-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('returns null before anything was saved', async () => {
    expect(await new FileTokenStore(path.join(dir, 'token.json')).load()).toBeNull();
  });

  it('round-trips a pair and writes the file with mode 0600', async () => {
    const file = path.join(dir, 'nested', 'token.json');
    const store = new FileTokenStore(file);
    await store.save(pair(1));
    expect(await store.load()).toEqual(pair(1));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      access_token: 'access-1',
      refresh_token: 'refresh-1',
      expires_at: '2026-03-01T01:00:00.000Z',
    });
  });

  it('replaces the file by rename, leaving no temp files, and readers never see a torn write', async () => {
    const file = path.join(dir, 'token.json');
    const store = new FileTokenStore(file);
    await store.save(pair(0));
    const reads: Array<Promise<TokenPair | null>> = [];
    const writes: Array<Promise<void>> = [];
    for (let i = 1; i <= 30; i++) {
      writes.push(store.save(pair(i)));
      reads.push(store.load());
    }
    await Promise.all(writes);
    // Every concurrent read parsed (a torn file would throw TokenStoreFormatError) to one of the saved pairs.
    for (const read of await Promise.all(reads)) expect(read?.accessToken).toMatch(/^access-\d+$/);
    expect(await readdir(dir)).toEqual(['token.json']);
  });

  it('refuses a file that is not a token pair, without quoting its content', async () => {
    const file = path.join(dir, 'token.json');
    await writeFile(file, JSON.stringify({ access_token: 'secret-value' }));
    const error = await new FileTokenStore(file).load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenStoreFormatError);
    expect(String((error as Error).message)).toContain('refresh_token');
    expect(String((error as Error).message)).not.toContain('secret-value');
  });
});

describe('SecretManagerTokenStore against the Secret Manager stand-in', () => {
  const secret = 'projects/demo-project/secrets/drchrono-token';
  let sm: RunningSecretManagerSandbox;
  let store: SecretManagerTokenStore;
  beforeAll(async () => {
    sm = await startSecretManagerSandbox({ secrets: [secret] });
    store = new SecretManagerTokenStore({
      project: 'demo-project',
      secret: 'drchrono-token',
      fetch,
      baseUrl: sm.url,
      getAccessToken: async () => sm.control.accessToken,
    });
  });
  afterAll(() => sm.close());

  it('loads null while the secret has no version', async () => {
    expect(await store.load()).toBeNull();
  });

  it('adds a version per save, disables the previous one and loads the latest', async () => {
    await store.save(pair(1));
    expect(sm.control.versions(secret).map((v) => v.state)).toEqual(['ENABLED']);
    await store.save(pair(2));
    await store.save(pair(3));
    expect(sm.control.versions(secret).map((v) => [v.name, v.state])).toEqual([
      [`${secret}/versions/1`, 'DISABLED'],
      [`${secret}/versions/2`, 'DISABLED'],
      [`${secret}/versions/3`, 'ENABLED'],
    ]);
    expect(await store.load()).toEqual(pair(3));
    expect(JSON.parse(sm.control.payload(secret, 3) ?? '{}')).toMatchObject({ access_token: 'access-3' });
  });

  it('sends the bearer token; a wrong one is a SecretManagerError with the status, not the payload', async () => {
    const wrong = new SecretManagerTokenStore({
      project: 'demo-project',
      secret: 'drchrono-token',
      fetch,
      baseUrl: sm.url,
      getAccessToken: async () => 'nope',
    });
    await expect(wrong.load()).rejects.toMatchObject({ name: 'SecretManagerError', status: 401, operation: 'access' });
    const error = await wrong.save(pair(9)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretManagerError);
    expect((error as Error).message).not.toContain('access-9');
  });

  it('fails save on a server error instead of pretending the pair was persisted', async () => {
    sm.control.failNext(1, 503);
    await expect(store.save(pair(4))).rejects.toMatchObject({ status: 503, operation: 'addVersion' });
    expect(await store.load()).toEqual(pair(3));
  });
});

describe('parseTokenStore', () => {
  it('builds a file store from file:<path>', () => {
    const store = parseTokenStore('file:.local/drchrono-token.json');
    expect(store).toBeInstanceOf(FileTokenStore);
    expect((store as FileTokenStore).path).toBe('.local/drchrono-token.json');
  });

  it('builds a Secret Manager store from secret-manager:projects/<p>/secrets/<s>', () => {
    const store = parseTokenStore('secret-manager:projects/feel-august-prod/secrets/drchrono-token', {
      getAccessToken: async () => 't',
    });
    expect(store).toBeInstanceOf(SecretManagerTokenStore);
    expect((store as SecretManagerTokenStore).secretName).toBe('projects/feel-august-prod/secrets/drchrono-token');
    expect((store as SecretManagerTokenStore).baseUrl).toBe('https://secretmanager.googleapis.com/v1');
  });

  it.each(['', 'file:', 'secret-manager:drchrono-token', 'secret-manager:projects/p/secrets/', 'vault:x'])(
    'rejects %j naming the accepted forms',
    (spec) => {
      expect(() => parseTokenStore(spec)).toThrow(/DRCHRONO_TOKEN_STORE/);
    },
  );
});
