import { listen } from '../../handlers/server.js';
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
  const server = await listen(service.app, { port: service.port, hostname: '0.0.0.0' });
  await service.start();
  service.logger.info({ port: server.port }, 'listening');
  const signal = await untilSignal();
  service.logger.info({ signal }, 'shutting down');
  await server.close();
  await service.close();
  return 0;
}
