import { randomBytes } from 'node:crypto';
import postgres, { type Sql } from 'postgres';
import { inject } from 'vitest';
import { createDatabase, type Database } from '../../sync/db/client.js';

export interface TestDatabase extends Database {
  readonly url: string;
  readonly name: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

const TEMPLATE = 'platform_template';

export function pgUrl(database: string): string {
  return inject('pgUrlTemplate').replace('{db}', database);
}

/** A fresh, migrated database cloned from the harness's template; call `drop()` in afterAll. */
export async function createTestDatabase(options: { maxConnections?: number } = {}): Promise<TestDatabase> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin: Sql = postgres(pgUrl('postgres'), { max: 1, onnotice: () => {} });
  try {
    // CREATE DATABASE … TEMPLATE fails while another session is connected to the template; retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`);
        break;
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    await admin.end();
  }
  const url = pgUrl(name);
  const database = createDatabase({ url, maxConnections: options.maxConnections ?? 5 });
  return {
    ...database,
    url,
    name,
    async drop() {
      await database.close();
      const sql = postgres(pgUrl('postgres'), { max: 1, onnotice: () => {} });
      await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await sql.end();
    },
  };
}
