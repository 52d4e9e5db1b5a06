import { listen } from '../../handlers/server.js';
import { isTransientDatabaseError } from '../../sync/db/transient.js';
import { describeTracing, startTracing } from '../../sync/observability/tracing.js';
import { untilSignal, type Io } from '../io.js';
import { buildService, isServiceName, serviceNames } from '../services.js';

/** `platform serve <service>`: the container's entry point; listens on 0.0.0.0:$PORT until SIGTERM. */
export async function serveCommand(argv: string[], io: Io): Promise<number> {
  const [name] = argv;
  if (!isServiceName(name)) {
    io.stderr(`usage: platform serve <${serviceNames.join('|')}>\n`);
    return 64;
  }
  const service = await buildService(name, io.env);
  // After buildService: the contract has checked the OTEL_ variables by then. Apps built before the provider is
  // registered still trace (the API's proxy tracer delegates once it is).
  const tracing = startTracing({ serviceName: name, env: io.env });
  service.logger.info({ tracing: tracing.config.exporter }, describeTracing(tracing.config));
  // A database restart or failover can reject a promise inside the postgres.js pool that no request awaits (seen
  // once in the Postgres-restart fault test: 'read ECONNRESET', which crashed drchrono-sync). The pool reconnects by
  // itself, so such a loss is logged and survived; anything else still crashes the process, as Node would.
  process.on('unhandledRejection', (reason) => {
    if (!isTransientDatabaseError(reason)) throw reason;
    service.logger.warn(
      { errorClass: reason instanceof Error ? reason.name : 'Error', code: (reason as { code?: unknown }).code },
      'database connection lost outside a request; the pool reconnects',
    );
  });
  const server = await listen(service.app, { port: service.port, hostname: '0.0.0.0' });
  await service.start();
  service.logger.info({ port: server.port }, 'listening');
  const signal = await untilSignal();
  service.logger.info({ signal }, 'shutting down');
  await server.close();
  await service.close();
  await tracing.shutdown(); // flushes the spans still buffered
  return 0;
}
