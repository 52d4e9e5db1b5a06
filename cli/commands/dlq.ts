import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DeadLetterReplayError, replayDeadLetters, type ReplayedMessage } from '../../sync/events/dlq.js';
import { changeEventNames, eventBusShape } from '../../contract/index.js';
import { parseEnv } from '../config.js';
import type { Io } from '../io.js';

const USAGE =
  'usage: platform dlq replay [--limit N] [--subscription <dead-letter subscription id>]\n  env: PUBSUB_PROJECT_ID, PUBSUB_TOPIC (change-events), PUBSUB_EMULATOR_HOST\n';

export const dlqEnvSchema = z.object({
  PUBSUB_PROJECT_ID: z.string().min(1),
  PUBSUB_TOPIC: eventBusShape.PUBSUB_TOPIC,
  PUBSUB_EMULATOR_HOST: z
    .string()
    .regex(/^[^\s:/]+:\d+$/, 'must be host:port')
    .optional(),
});

const line = (m: ReplayedMessage) =>
  `moved ${m.deadLetterMessageId} -> ${m.messageId}  table=${m.table ?? '?'}  ids=${m.idCount ?? '?'}\n`;

/**
 * `platform dlq replay [--limit N]`: moves dead-lettered change events from `<topic>-dlq` (or `--subscription`) back to `<topic>`,
 * printing each message id, table and id count (never the data). Exit 1 if a republish failed (that message stays).
 */
export async function dlqCommand(argv: string[], io: Io): Promise<number> {
  let values: { limit?: string | undefined; subscription?: string | undefined };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { limit: { type: 'string' }, subscription: { type: 'string' } },
    }));
  } catch {
    io.stderr(USAGE);
    return 64;
  }
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (
    positionals[0] !== 'replay' ||
    positionals.length !== 1 ||
    (limit !== undefined && !(Number.isInteger(limit) && limit >= 1))
  ) {
    io.stderr(
      limit !== undefined && !(Number.isInteger(limit) && limit >= 1)
        ? `--limit must be a positive integer\n${USAGE}`
        : USAGE,
    );
    return 64;
  }
  const env = parseEnv(dlqEnvSchema, io.env);
  const topic = env.PUBSUB_TOPIC;
  const deadLetterSubscription = values.subscription ?? changeEventNames(topic).deadLetterSubscription;
  try {
    const moved = await replayDeadLetters({
      projectId: env.PUBSUB_PROJECT_ID,
      topic,
      deadLetterSubscription,
      ...(env.PUBSUB_EMULATOR_HOST ? { apiEndpoint: env.PUBSUB_EMULATOR_HOST } : {}),
      ...(limit === undefined ? {} : { limit }),
    });
    for (const m of moved) io.stdout(line(m));
    io.stdout(`moved ${moved.length} message(s) from ${deadLetterSubscription} to ${topic}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof DeadLetterReplayError)) throw error;
    for (const m of error.moved) io.stdout(line(m));
    io.stderr(`platform dlq replay: ${error.message}; it stays on ${deadLetterSubscription}\n`);
    return 1;
  }
}
