import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';

export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

/**
 * Applies every migration in drizzle/ that the database has not seen (tracked in drizzle.__drizzle_migrations),
 * so running it twice is a no-op. Runs on its own single connection as the migration owner.
 */
export async function migrateDatabase(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    // Serialise concurrent migrators (two instances starting at once) on one advisory lock.
    await sql`SELECT pg_advisory_lock(hashtext('feel-august:migrate'))`;
    await migrate(drizzle(sql), { migrationsFolder });
  } finally {
    await sql.end({ timeout: 5 });
  }
}
