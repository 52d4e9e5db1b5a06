import { listen } from '../../handlers/server.js';
import { createDatabase } from '../../sync/db/client.js';
import { createLogger } from '../../sync/observability/logger.js';
import { parseEnv, serviceEnvSchema } from '../config.js';
import { untilSignal, type Io } from '../io.js';
import { createServiceApp, isServiceName, serviceNames } from '../services.js';

/** `platform serve <service>`: the container's entry point; listens on 0.0.0.0:$PORT until SIGTERM. */
export async function serveCommand(argv: string[], io: Io): Promise<number> {
  const [name] = argv;
  if (!isServiceName(name)) {
    io.stderr(`usage: platform serve <${serviceNames.join('|')}>\n`);
    return 64;
  }
  const env = parseEnv(serviceEnvSchema, io.env);
  const logger = createLogger({ service: name, level: env.LOG_LEVEL });
  const database = createDatabase({ url: env.DATABASE_URL, maxConnections: env.DB_POOL_MAX, applicationName: name });
  const server = await listen(createServiceApp(name, { database, logger }), { port: env.PORT, hostname: '0.0.0.0' });
  logger.info({ port: server.port }, 'listening');
  const signal = await untilSignal();
  logger.info({ signal }, 'shutting down');
  await server.close();
  await database.close();
  return 0;
}
