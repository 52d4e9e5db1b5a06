import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  firstUntraversableDirectory,
  PostgresUserCannotReachError,
  startLocalPostgres,
} from '../../../cli/local/postgres.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pg-reach-')); // mkdtemp makes it 0700, like `mktemp -d`
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('local PostgreSQL as root: can the postgres user reach its files', () => {
  it('finds the first directory others cannot traverse, and none once it allows traversal', async () => {
    await mkdir(path.join(dir, 'a', 'b'), { recursive: true });
    expect(await firstUntraversableDirectory(path.join(dir, 'a', 'b'))).toBe(dir);
    await chmod(dir, 0o711);
    expect(await firstUntraversableDirectory(path.join(dir, 'a', 'b'))).toBeUndefined();
  });

  it.runIf(process.getuid?.() === 0)(
    'refuses to start under a directory the postgres user cannot enter, saying what to do',
    async () => {
      const start = startLocalPostgres({ dataDir: path.join(dir, 'checkout', '.local', 'pg') });
      await expect(start).rejects.toThrow(PostgresUserCannotReachError);
      await expect(start).rejects.toThrow(new RegExp(`cannot enter ${dir} .*chmod o\\+x ${dir}`));
    },
  );
});
