import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../sync/observability/logger.js';

export interface CapturedLogs {
  readonly logger: Logger;
  /** Every JSON line written so far. */
  lines(): string[];
  /** The same lines, parsed. */
  records(): Record<string, unknown>[];
  /** All lines joined with newlines, for `toContain`/`toMatch`. */
  text(): string;
}

/** A real pino logger whose lines are kept in memory, so tests can scan exactly what production would log. */
export function captureLogs(service = 'test'): CapturedLogs {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ service, level: 'debug', destination });
  return {
    logger,
    lines: () => lines,
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    text: () => lines.join('\n'),
  };
}
