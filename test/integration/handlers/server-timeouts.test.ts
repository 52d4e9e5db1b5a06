import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBaseApp } from '../../../handlers/app.js';
import { drchronoWebhookRoutes } from '../../../handlers/drchrono-sync/drchrono-webhook.js';
import { listen, type RunningServer } from '../../../handlers/server.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { captureLogs } from '../../harness/logs.js';

// Hostile clients at the socket level: slow headers (slowloris), a body that never finishes, a client that hangs
// up mid-body. None may hold a connection for long, and none is a server error.

let t: TestDatabase;
let server: RunningServer;
const logs = captureLogs('drchrono-sync');

beforeAll(async () => {
  t = await createTestDatabase();
  const app = createBaseApp({ sql: t.sql, logger: logs.logger, service: 'drchrono-sync' });
  app.route(
    '/',
    drchronoWebhookRoutes({
      sql: t.sql,
      logger: logs.logger,
      timeZone: 'America/New_York',
      secret: 'a-secret-of-enough-length',
    }),
  );
  server = await listen(app, { port: 0, headersTimeoutMs: 500, requestTimeoutMs: 1_000 });
});
afterAll(async () => {
  await server.close();
  await t.drop();
});

/** Opens a socket, writes `text`, and resolves with how long the server took to close it (ms) and what it answered. */
function heldFor(text: string, options: { hangUpAfterMs?: number } = {}): Promise<{ ms: number; answer: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let answer = '';
    const socket: Socket = connect(server.port, '127.0.0.1', () => {
      socket.write(text);
      if (options.hangUpAfterMs !== undefined) setTimeout(() => socket.destroy(), options.hangUpAfterMs);
    });
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('close', () => resolve({ ms: Date.now() - started, answer }));
    socket.on('error', () => undefined);
    setTimeout(() => reject(new Error('the server never closed the connection')), 10_000).unref();
  });
}

describe('server timeouts and clients that go away', () => {
  it('closes a connection whose headers never finish within the headers timeout', async () => {
    const { ms } = await heldFor('POST /webhooks/drchrono HTTP/1.1\r\nHost: x\r\nX-drchrono-event: PATIENT_MODIFY\r\n');
    expect(ms).toBeLessThan(3_000);
  });

  it('closes a connection whose body never finishes within the request timeout', async () => {
    const { ms, answer } = await heldFor(
      'POST /webhooks/drchrono HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"object":',
    );
    expect(ms).toBeLessThan(4_000);
    expect(answer).not.toMatch(/^HTTP\/1\.1 5\d\d/);
  });

  it('logs a client that hangs up mid-body at info, never as an unhandled error or a 5xx', async () => {
    const before = logs.lines().length;
    await heldFor(
      'POST /webhooks/drchrono HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-drchrono-signature: a-secret-of-enough-length\r\nContent-Length: 1000\r\n\r\n{"object":',
      { hangUpAfterMs: 100 },
    );
    await new Promise((r) => setTimeout(r, 300));
    const lines = logs
      .lines()
      .slice(before)
      .map(
        (l) => JSON.parse(l) as { severity?: string; message?: string; msg?: string; httpRequest?: { status: number } },
      );
    expect(lines.filter((l) => /unhandled error/.test(JSON.stringify(l)))).toEqual([]);
    expect(lines.filter((l) => (l.httpRequest?.status ?? 0) >= 500)).toEqual([]);
  });
});
