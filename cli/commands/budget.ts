import { z } from 'zod';
import { drchronoEnvShape, serviceEnvShape } from '../../contract/env.js';
import { createDatabase } from '../../sync/db/client.js';
import { createCallBudget } from '../../sync/drchrono/budget.js';
import { formatBudgetPlan, planBudget } from '../../sync/drchrono/budget-plan.js';
import { parseEnv } from '../config.js';
import type { Io } from '../io.js';

const budgetEnvSchema = z.object({
  DATABASE_URL: serviceEnvShape.DATABASE_URL,
  DATABASE_AUTH: serviceEnvShape.DATABASE_AUTH,
  DRCHRONO_HOURLY_CALL_LIMIT: drchronoEnvShape.DRCHRONO_HOURLY_CALL_LIMIT,
  DRCHRONO_INCREMENTAL_RESERVE: drchronoEnvShape.DRCHRONO_INCREMENTAL_RESERVE,
});

/**
 * `platform budget`: this hour's DrChrono calls by kind, what the next hours will spend, and when a running full or
 * deep walk will finish (read-only; env DATABASE_URL and the budget variables the services use).
 */
export async function budgetCommand(_argv: string[], io: Io, clock: () => number = Date.now): Promise<number> {
  const env = parseEnv(budgetEnvSchema, io.env);
  const database = createDatabase({
    url: env.DATABASE_URL,
    auth: env.DATABASE_AUTH,
    applicationName: 'platform-budget',
  });
  try {
    // The same shares the services compute (createCallBudget validates them the same way).
    const shares = createCallBudget({
      sql: database.sql,
      hourlyLimit: env.DRCHRONO_HOURLY_CALL_LIMIT,
      ...(env.DRCHRONO_INCREMENTAL_RESERVE !== undefined && { incrementalReserve: env.DRCHRONO_INCREMENTAL_RESERVE }),
    });
    io.stdout(formatBudgetPlan(await planBudget(database.sql, shares, new Date(clock()))));
    return 0;
  } finally {
    await database.close();
  }
}
