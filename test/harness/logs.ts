import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../sync/observability/logger.js';

/** A real pino logger whose lines are kept in memory, so tests can scan exactly what production would log. */
export function captureLogs(service = 'test'): { logger: Logger; lines: () => string[]; text: () => string } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ service, level: 'debug', destination });
  return { logger, lines: () => lines, text: () => lines.join('\n') };
}
