import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DeadLetterReplayError, replayDeadLetters, type ReplayedMessage } from '../../sync/events/dlq.js';
import { parseEnv } from '../config.js';
import type { Io } from '../io.js';

const USAGE = 'usage: platform dlq replay [--limit N]\n  env: PUBSUB_PROJECT_ID, PUBSUB_TOPIC (change-events), PUBSUB_EMULATOR_HOST\n';

export const dlqEnvSchema = z.object({
  PUBSUB_PROJECT_ID: z.string().min(1),
  PUBSUB_TOPIC: z.string().regex(/^[A-Za-z][\w.~+%-]{2,254}$/, 'must be 3–255 characters starting with a letter').default('change-events'),
  PUBSUB_EMULATOR_HOST: z.string().regex(/^[^\s:/]+:\d+$/, 'must be host:port').optional(),
});

const line = (m: ReplayedMessage) =>
  `moved ${m.deadLetterMessageId} -> ${m.messageId}  table=${m.table ?? '?'}  ids=${m.idCount ?? '?'}\n`;

/**
 * `platform dlq replay [--limit N]`: moves dead-lettered change events from `<topic>-dlq-sub` back to `<topic>`,
 * printing each message id, table and id count (never the data). Exit 1 if a republish failed (that message stays).
 */
export async function dlqCommand(argv: string[], io: Io): Promise<number> {
  let values: { limit?: string | undefined };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { limit: { type: 'string' } } }));
  } catch {
    io.stderr(USAGE);
    return 64;
  }
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (positionals[0] !== 'replay' || positionals.length !== 1 || (limit !== undefined && !(Number.isInteger(limit) && limit >= 1))) {
    io.stderr(limit !== undefined && !(Number.isInteger(limit) && limit >= 1) ? `--limit must be a positive integer\n${USAGE}` : USAGE);
    return 64;
  }
  const env = parseEnv(dlqEnvSchema, io.env);
  const topic = env.PUBSUB_TOPIC;
  try {
    const moved = await replayDeadLetters({
      projectId: env.PUBSUB_PROJECT_ID,
      topic,
      ...(env.PUBSUB_EMULATOR_HOST ? { apiEndpoint: env.PUBSUB_EMULATOR_HOST } : {}),
      ...(limit === undefined ? {} : { limit }),
    });
    for (const m of moved) io.stdout(line(m));
    io.stdout(`moved ${moved.length} message(s) from ${topic}-dlq-sub to ${topic}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof DeadLetterReplayError)) throw error;
    for (const m of error.moved) io.stdout(line(m));
    io.stderr(`platform dlq replay: ${error.message}; it stays on ${topic}-dlq-sub\n`);
    return 1;
  }
}
