import { parseArgs } from 'node:util';
import { z } from 'zod';
import { setupPubSub } from '../../sync/events/setup.js';
import { parseEnv } from '../config.js';
import type { Io } from '../io.js';

const USAGE =
  'usage: platform pubsub setup\n' +
  '  env: PUBSUB_PROJECT_ID, PUBSUB_TOPIC (change-events), PUBSUB_EMULATOR_HOST, PUSH_ENDPOINT (push subscription; else pull),\n' +
  '       PUBSUB_MAX_DELIVERY_ATTEMPTS (5), PUBSUB_SUBSCRIPTION, PUBSUB_PUSH_SERVICE_ACCOUNT + PUBSUB_PUSH_AUDIENCE (OIDC push)\n';

const topicId = z.string().regex(/^[A-Za-z][\w.~+%-]{2,254}$/, 'must be 3–255 characters starting with a letter');

/** What `platform pubsub setup` reads (DESIGN §9). */
export const pubsubSetupEnvSchema = z.object({
  PUBSUB_PROJECT_ID: z.string().min(1),
  PUBSUB_TOPIC: topicId.default('change-events'),
  PUBSUB_SUBSCRIPTION: topicId.optional(),
  PUBSUB_EMULATOR_HOST: z
    .string()
    .regex(/^[^\s:/]+:\d+$/, 'must be host:port')
    .optional(),
  PUSH_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  PUBSUB_MAX_DELIVERY_ATTEMPTS: z.coerce.number().int().min(5).max(100).default(5),
  PUBSUB_PUSH_SERVICE_ACCOUNT: z.email().optional(),
  PUBSUB_PUSH_AUDIENCE: z.string().min(1).optional(),
});

/** `platform pubsub setup`: topic, subscription (push to PUSH_ENDPOINT, else pull) with dead-letter policy, DLQ topic + subscription. Idempotent. */
export async function pubsubCommand(argv: string[], io: Io): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  if (positionals[0] !== 'setup' || positionals.length !== 1) {
    io.stderr(USAGE);
    return 64;
  }
  const env = parseEnv(pubsubSetupEnvSchema, io.env);
  const result = await setupPubSub({
    projectId: env.PUBSUB_PROJECT_ID,
    topic: env.PUBSUB_TOPIC,
    maxDeliveryAttempts: env.PUBSUB_MAX_DELIVERY_ATTEMPTS,
    ...(env.PUBSUB_EMULATOR_HOST ? { apiEndpoint: env.PUBSUB_EMULATOR_HOST } : {}),
    ...(env.PUBSUB_SUBSCRIPTION ? { subscription: env.PUBSUB_SUBSCRIPTION } : {}),
    ...(env.PUSH_ENDPOINT ? { pushEndpoint: env.PUSH_ENDPOINT } : {}),
    ...(env.PUBSUB_PUSH_SERVICE_ACCOUNT
      ? {
          pushOidc: {
            serviceAccountEmail: env.PUBSUB_PUSH_SERVICE_ACCOUNT,
            ...(env.PUBSUB_PUSH_AUDIENCE ? { audience: env.PUBSUB_PUSH_AUDIENCE } : {}),
          },
        }
      : {}),
  });
  for (const r of result.resources) io.stdout(`${r.action.padEnd(9)} ${r.kind.padEnd(12)} ${r.name}\n`);
  io.stdout(
    `${env.PUSH_ENDPOINT ? `push to ${env.PUSH_ENDPOINT}` : 'pull'}; dead letters after ${env.PUBSUB_MAX_DELIVERY_ATTEMPTS} attempts to ${result.deadLetterTopic}` +
      `${env.PUBSUB_EMULATOR_HOST ? ` (emulator ${env.PUBSUB_EMULATOR_HOST})` : ''}\n`,
  );
  return 0;
}
