import { describe, expect, it } from 'vitest';
import { PubSubEmulatorError, startPubSubEmulator } from '../../../cli/pubsub-emulator.js';
import { pubsubClients } from '../../../sync/events/pubsub-clients.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('startPubSubEmulator', () => {
  it('starts on a free port, restarts on the same port with empty state, and stop kills the java process', async () => {
    const emulator = await startPubSubEmulator();
    const firstPid = emulator.pid!;
    try {
      expect(emulator.host).toMatch(/^127\.0\.0\.1:\d+$/);
      const clients = pubsubClients({ projectId: emulator.projectId, apiEndpoint: emulator.host });
      await clients.publisher.createTopic({ name: clients.topicName('restart-me') });
      await clients.close();
      const port = emulator.port;
      await emulator.restart();
      expect(emulator.port).toBe(port);
      expect(alive(firstPid)).toBe(false);
      const again = pubsubClients({ projectId: emulator.projectId, apiEndpoint: emulator.host });
      await expect(again.publisher.getTopic({ topic: again.topicName('restart-me') })).rejects.toMatchObject({
        code: 5,
      });
      await again.close();
    } finally {
      const pid = emulator.pid!;
      await emulator.stop();
      expect(alive(pid)).toBe(false);
      await emulator.stop(); // idempotent
    }
  });

  it('fails with a clear message when the jar or java is missing', async () => {
    await expect(startPubSubEmulator({ jarPath: '/nonexistent/emulator.jar' })).rejects.toThrow(
      /jar not found at \/nonexistent\/emulator.jar/,
    );
    const error = await startPubSubEmulator({ java: '/nonexistent/bin/java' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PubSubEmulatorError);
    expect((error as Error).message).toMatch(/\/nonexistent\/bin\/java not found; install Java 17\+ or set JAVA_HOME/);
  });
});
