import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_EVENTS } from '../../../contract/resources.js';
import { createDatabase } from '../../../sync/db/client.js';
import { PublishError } from '../../../sync/events/errors.js';
import { createPubSubPublisher } from '../../../sync/events/pubsub-publisher.js';
import { coalesce, createOutboxRelay } from '../../../sync/events/relay.js';
import { setupPubSub } from '../../../sync/events/setup.js';
import { changeEventSchema, type OutgoingMessage, type Publisher } from '../../../sync/events/types.js';
import { mirrors, type MirrorRows } from '../../../sync/mirrors.js';
import { upsertRows } from '../../../sync/upsert.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { captureLogs } from '../../harness/logs.js';
import { emulatorHost, pullAll, uniqueTopic } from '../../harness/pubsub.js';
import { waitFor } from '../../harness/wait.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ maxConnections: 8 });
});
afterAll(() => t.drop());

const context = { actor: 'test:relay' };
let serial = 0;
const patients = (n: number, firstName = 'Zed'): MirrorRows['patients'][] =>
  Array.from({ length: n }, () => {
    const id = String(900_000 + ++serial);
    return {
      drchrono_id: id,
      first_name: firstName,
      last_name: 'Fakeperson',
      raw: { id: Number(id) },
      source_updated_at: '2026-01-01T00:00:00Z',
    };
  });

async function pending(): Promise<number> {
  const [row] = await t.sql`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`;
  return row!.n as number;
}

/** Records what it was asked to publish; can be told to fail. */
/** A publisher that records what it accepted; `delayMs` makes each publish take that long (as a real bus does). */
function recordingPublisher(delayMs = 0): Publisher & { messages: OutgoingMessage[]; failing: boolean } {
  let next = 0;
  const publisher = {
    messages: [] as OutgoingMessage[],
    failing: false,
    async publish(message: OutgoingMessage) {
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      if (publisher.failing) throw new PublishError('bus down');
      publisher.messages.push(message);
      return String(++next);
    },
    async close() {},
  };
  return publisher;
}

const decode = (m: { data: Buffer }) => changeEventSchema.parse(JSON.parse(m.data.toString()));

describe('coalesce', () => {
  it('groups rows per table into events of at most 500 distinct ids and keeps every outbox id', () => {
    const rows = [
      ...Array.from({ length: 1001 }, (_, i) => ({ id: String(i + 1), table_name: 'patients', row_id: String(i + 1) })),
      { id: '2000', table_name: 'patients', row_id: '1' },
      { id: '2001', table_name: 'appointments', row_id: '7' },
    ];
    const chunks = coalesce(rows);
    expect(chunks.map((c) => [c.event.table, c.event.ids.length])).toEqual([
      ['patients', 500],
      ['patients', 500],
      ['patients', 1],
      ['appointments', 1],
    ]);
    expect(chunks[0]!.outboxIds).toContain('2000');
    expect(chunks.flatMap((c) => c.outboxIds).length).toBe(rows.length);
  });
});

describe('outbox relay with the Pub/Sub emulator', () => {
  it('publishes 1,200 changed patients committed by upsertRows as 3 messages (500 + 500 + 200) and marks every row published', async () => {
    const topic = uniqueTopic('relay');
    await setupPubSub({ projectId: 'local', apiEndpoint: emulatorHost(), topic });
    const publisher = createPubSubPublisher({ projectId: 'local', topic, apiEndpoint: emulatorHost() });
    const logs = captureLogs();
    const relay = createOutboxRelay({ sql: t.sql, publisher, logger: logs.logger });
    try {
      const changed = await upsertRows(t.sql, mirrors.patients, patients(1200), context);
      expect(changed).toHaveLength(1200);
      const result = await relay.drain();
      expect(result).toEqual({ published: 1200, messages: 3, failed: 0 });
      expect(await pending()).toBe(0);
      const received = await pullAll({
        host: emulatorHost(),
        projectId: 'local',
        subscription: `${topic}-sub`,
        expect: 3,
      });
      const events = received.map(decode);
      expect(events.map((e) => e.ids.length).sort((a, b) => b - a)).toEqual([500, 500, 200]);
      expect(new Set(events.flatMap((e) => e.ids))).toEqual(new Set(changed.map((c) => c.id)));
      expect(received.every((m) => m.attributes.table === 'patients')).toBe(true);
      // The oldest commit rides along for the change-event age metric; the drain logs the pending gauge.
      for (const m of received) {
        expect(Date.now() - Date.parse(m.attributes.committed_at!)).toBeGreaterThanOrEqual(0);
        expect(Date.now() - Date.parse(m.attributes.committed_at!)).toBeLessThan(120_000);
      }
      expect(logs.records().filter((r) => r.event === LOG_EVENTS.outboxPending)).toEqual([
        expect.objectContaining({ pending: 0, severity: 'INFO' }),
      ]);
      // No PHI in messages or logs: the names written above appear nowhere.
      expect(received.map((m) => m.data.toString()).join('')).not.toMatch(/Zed|Fakeperson/);
      expect(logs.text()).not.toMatch(/Zed|Fakeperson/);
    } finally {
      await relay.stop();
      await publisher.close();
    }
  });

  it('wakes on NOTIFY without waiting for the timer', async () => {
    await relayIdle();
    const publisher = recordingPublisher();
    const relay = createOutboxRelay({ sql: t.sql, publisher, logger: captureLogs().logger, intervalMs: 60_000 });
    await relay.start();
    try {
      // start() runs one pass at once; let it finish, so only a NOTIFY can wake the relay before the 60 s timer.
      await new Promise((r) => setTimeout(r, 300));
      const started = Date.now();
      const changed = await upsertRows(t.sql, mirrors.patients, patients(3), context);
      await waitFor('the relay to catch up', () => publisher.messages.length === 1, {
        timeoutMs: 5_000,
        intervalMs: 20,
      });
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(decode(publisher.messages[0]!)).toEqual({
        table: 'patients',
        ids: changed.map((c) => c.id).sort((a, b) => a - b),
      });
      await waitFor('the relay to catch up', async () => (await pending()) === 0, { timeoutMs: 5_000, intervalMs: 20 });
    } finally {
      await relay.stop();
    }
  });

  it('leaves rows pending with attempts and last_error_class when publishing fails, and publishes them once the bus recovers', async () => {
    await relayIdle();
    const publisher = recordingPublisher();
    publisher.failing = true;
    const logs = captureLogs();
    const relay = createOutboxRelay({ sql: t.sql, publisher, logger: logs.logger });
    const changed = await upsertRows(t.sql, mirrors.patients, patients(4), context);
    const ids = changed.map((c) => c.id);
    expect(await relay.drain()).toEqual({ published: 0, messages: 0, failed: 4 });
    expect(await relay.drain()).toEqual({ published: 0, messages: 0, failed: 4 });
    const rows =
      await t.sql`SELECT attempts, last_error_class, published_at FROM outbox WHERE table_name = 'patients' AND row_id = ANY(${ids}::bigint[])`;
    expect(rows).toHaveLength(4);
    expect(
      rows.every((r) => r.attempts === 2 && r.last_error_class === 'PublishError' && r.published_at === null),
    ).toBe(true);
    expect(logs.text()).toContain('outbox relay backing off');
    publisher.failing = false;
    expect(await relay.drain()).toEqual({ published: 4, messages: 1, failed: 0 });
    expect(await pending()).toBe(0);
    expect(logs.text()).toContain('outbox relay recovered');
  });

  it('republishes rows whose transaction died after the publish and before the commit (at-least-once)', async () => {
    await relayIdle();
    // Simulated crash: marking fails for this one relay's connection, so its transaction rolls back after the publish.
    await t.sql.unsafe(`
      CREATE FUNCTION test_crash_on_mark() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF current_setting('application_name') = 'relay-crashing' THEN RAISE EXCEPTION 'simulated crash before commit'; END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER test_crash_on_mark BEFORE UPDATE ON outbox FOR EACH STATEMENT EXECUTE FUNCTION test_crash_on_mark();`);
    const relayDb = createDatabase({ url: t.url, maxConnections: 1, applicationName: 'relay-crashing' });
    const crashing = recordingPublisher();
    try {
      const changed = await upsertRows(t.sql, mirrors.patients, patients(5), context);
      await expect(
        createOutboxRelay({ sql: relayDb.sql, publisher: crashing, logger: captureLogs().logger }).drain(),
      ).rejects.toThrow();
      expect(crashing.messages).toHaveLength(1);
      expect(await pending()).toBe(5);
      const [row] = await t.sql`SELECT max(attempts)::int AS attempts FROM outbox WHERE published_at IS NULL`;
      expect(row!.attempts).toBe(0);
      const again = recordingPublisher();
      expect(
        await createOutboxRelay({ sql: t.sql, publisher: again, logger: captureLogs().logger }).drain(),
      ).toMatchObject({ published: 5, messages: 1 });
      expect(decode(again.messages[0]!).ids).toEqual(decode(crashing.messages[0]!).ids);
      expect(decode(again.messages[0]!).ids).toEqual(changed.map((c) => c.id).sort((a, b) => a - b));
    } finally {
      await relayDb.close();
      await t.sql.unsafe('DROP TRIGGER test_crash_on_mark ON outbox; DROP FUNCTION test_crash_on_mark();');
    }
  });

  it('times out a publish that never answers and keeps its rows pending', async () => {
    await relayIdle();
    const hanging: Publisher = { publish: () => new Promise<string>(() => {}), close: async () => {} };
    const relay = createOutboxRelay({
      sql: t.sql,
      publisher: hanging,
      logger: captureLogs().logger,
      publishTimeoutMs: 200,
    });
    await upsertRows(t.sql, mirrors.patients, patients(2), context);
    expect(await relay.drain()).toEqual({ published: 0, messages: 0, failed: 2 });
    const [row] = await t.sql`SELECT last_error_class FROM outbox WHERE published_at IS NULL ORDER BY id DESC LIMIT 1`;
    expect(row!.last_error_class).toBe('PublishTimeoutError');
    const ok = recordingPublisher();
    await createOutboxRelay({ sql: t.sql, publisher: ok, logger: captureLogs().logger }).drain();
    expect(await pending()).toBe(0);
  });

  it('two relays draining one database concurrently publish every outbox row exactly once', async () => {
    await relayIdle();
    // Small batches and a publish that takes a few milliseconds, as a real bus does, so the two relays interleave
    // many passes even on a loaded machine (with instant publishes one relay could drain everything alone).
    const a = recordingPublisher(20);
    const b = recordingPublisher(20);
    const relayA = createOutboxRelay({ sql: t.sql, publisher: a, logger: captureLogs().logger, batchLimit: 150 });
    const relayB = createOutboxRelay({ sql: t.sql, publisher: b, logger: captureLogs().logger, batchLimit: 150 });
    const changed = await upsertRows(t.sql, mirrors.patients, patients(1500), context);
    const [ra, rb] = await Promise.all([relayA.drain(), relayB.drain()]);
    expect(ra.published + rb.published).toBe(1500);
    expect(ra.published).toBeGreaterThan(0);
    expect(rb.published).toBeGreaterThan(0);
    const published = [...a.messages, ...b.messages].flatMap((m) => decode(m).ids);
    expect(published).toHaveLength(1500);
    expect(new Set(published)).toEqual(new Set(changed.map((c) => c.id)));
    expect(await pending()).toBe(0);
  });

  it('two started relays publish rows committed while both listen, each row once', async () => {
    await relayIdle();
    const a = recordingPublisher();
    const b = recordingPublisher();
    const relays = [a, b].map((publisher) =>
      createOutboxRelay({ sql: t.sql, publisher, logger: captureLogs().logger, intervalMs: 100, batchLimit: 200 }),
    );
    await Promise.all(relays.map((r) => r.start()));
    try {
      const changed: number[] = [];
      for (let i = 0; i < 10; i++)
        changed.push(...(await upsertRows(t.sql, mirrors.patients, patients(100), context)).map((c) => c.id));
      await waitFor('the relay to catch up', async () => (await pending()) === 0, {
        timeoutMs: 10_000,
        intervalMs: 20,
      });
      const published = [...a.messages, ...b.messages].flatMap((m) => decode(m).ids);
      expect(published.sort((x, y) => x - y)).toEqual(changed.sort((x, y) => x - y));
    } finally {
      await Promise.all(relays.map((r) => r.stop()));
    }
  });
});

/** Every earlier test leaves nothing pending. */
async function relayIdle(): Promise<void> {
  expect(await pending()).toBe(0);
}
