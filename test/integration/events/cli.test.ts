import { describe, expect, it } from 'vitest';
import { dlqCommand } from '../../../cli/commands/dlq.js';
import { pubsubCommand } from '../../../cli/commands/pubsub.js';
import { ConfigError } from '../../../cli/config.js';
import type { Io } from '../../../cli/io.js';
import { createPubSubPublisher } from '../../../sync/events/pubsub-publisher.js';
import { encodeChangeEvent } from '../../../sync/events/types.js';
import { emulatorHost, pullAll, uniqueTopic } from '../../harness/pubsub.js';

function io(env: NodeJS.ProcessEnv): Io & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { env, stdout: (s) => void (out += s), stderr: (s) => void (err += s), out: () => out, err: () => err };
}

describe('platform pubsub setup', () => {
  it('creates the topology on the emulator from env, and a second run reports everything unchanged', async () => {
    const topic = uniqueTopic('cli');
    const env = {
      PUBSUB_PROJECT_ID: 'local',
      PUBSUB_TOPIC: topic,
      PUBSUB_EMULATOR_HOST: emulatorHost(),
      PUSH_ENDPOINT: 'http://127.0.0.1:9/pubsub/push',
      PUBSUB_MAX_DELIVERY_ATTEMPTS: '6',
    };
    const first = io(env);
    expect(await pubsubCommand(['setup'], first)).toBe(0);
    expect(first.out()).toContain(`created   topic        projects/local/topics/${topic}\n`);
    expect(first.out()).toContain(`created   subscription projects/local/subscriptions/${topic}-coda-push\n`);
    expect(first.out()).toContain(`created   subscription projects/local/subscriptions/${topic}-dlq\n`);
    expect(first.out()).toContain(`dead letters after 6 attempts to projects/local/topics/${topic}-dlq`);
    const second = io(env);
    expect(await pubsubCommand(['setup'], second)).toBe(0);
    expect(second.out()).not.toMatch(/created|updated/);
  });

  it('lists every bad variable at once and refuses an unknown subcommand', async () => {
    const bad = io({ PUBSUB_TOPIC: 'ab', PUBSUB_MAX_DELIVERY_ATTEMPTS: '2', PUSH_ENDPOINT: 'not a url' });
    const error = await pubsubCommand(['setup'], bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    for (const name of ['PUBSUB_PROJECT_ID', 'PUBSUB_TOPIC', 'PUBSUB_MAX_DELIVERY_ATTEMPTS', 'PUSH_ENDPOINT'])
      expect((error as Error).message).toContain(name);
    const usage = io({});
    expect(await pubsubCommand(['teardown'], usage)).toBe(64);
    expect(usage.err()).toContain('usage: platform pubsub setup');
  });
});

describe('platform dlq replay', () => {
  it('moves at most --limit messages, printing ids, table and id count but never the data', async () => {
    const topic = uniqueTopic('clidlq');
    const env = { PUBSUB_PROJECT_ID: 'local', PUBSUB_TOPIC: topic, PUBSUB_EMULATOR_HOST: emulatorHost() };
    expect(await pubsubCommand(['setup'], io(env))).toBe(0);
    const dlq = createPubSubPublisher({ projectId: 'local', topic: `${topic}-dlq`, apiEndpoint: emulatorHost() });
    for (const ids of [[11, 12], [13], [14, 15, 16]])
      await dlq.publish(encodeChangeEvent({ table: 'medications', ids }));
    await dlq.close();

    const first = io(env);
    expect(await dlqCommand(['replay', '--limit', '2'], first)).toBe(0);
    expect(first.out()).toMatch(/^moved \S+ -> \S+ {2}table=medications {2}ids=\d\n/m);
    expect(first.out()).toContain(`moved 2 message(s) from ${topic}-dlq to ${topic}\n`);
    // The data (`{"table":…,"ids":[11,12]}`) is never printed; message ids are numbers on the emulator, so look for JSON.
    expect(first.out()).not.toMatch(/"ids"|\[\d|\{/);
    const rest = io(env);
    expect(await dlqCommand(['replay'], rest)).toBe(0);
    expect(rest.out()).toContain('moved 1 message(s)');
    const arrived = await pullAll({
      host: emulatorHost(),
      projectId: 'local',
      subscription: `${topic}-sub`,
      expect: 3,
    });
    expect(arrived.map((m) => (JSON.parse(m.data.toString()) as { ids: number[] }).ids.length).sort()).toEqual([
      1, 2, 3,
    ]);
    expect(arrived.every((m) => m.attributes.replayed_from_dlq)).toBe(true);
  });

  it('refuses a bad --limit or subcommand with usage (exit 64)', async () => {
    for (const argv of [['replay', '--limit', '0'], ['replay', '--limit', 'x'], ['purge'], ['replay', '--force']]) {
      const out = io({});
      expect(await dlqCommand(argv, out)).toBe(64);
      expect(out.err()).toContain('usage: platform dlq replay [--limit N]');
    }
  });
});
