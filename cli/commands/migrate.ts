import { z } from 'zod';
import { migrateDatabase } from '../../sync/db/migrate.js';
import { parseEnv } from '../config.js';
import type { Io } from '../io.js';

/** `platform migrate`: applies pending migrations to DATABASE_URL (idempotent). */
export async function migrateCommand(_argv: string[], io: Io): Promise<number> {
  const env = parseEnv(z.object({ DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL') }), io.env);
  await migrateDatabase(env.DATABASE_URL);
  io.stdout('migrations applied\n');
  return 0;
}
