import { serve } from '@hono/node-server';
import { Hono } from 'hono';

// The yardstick for the webhook benchmark: a bare Hono route on the same machine that reads the body and answers.
const app = new Hono()
  .post('/webhooks/drchrono', async (c) => {
    await c.req.text();
    return c.json({ status: 'applied' });
  })
  // Also the event sink for the service under load: its relay publishes here (acknowledged like Pub/Sub push).
  .post('/pubsub/push', async (c) => {
    await c.req.text();
    return c.body(null, 204);
  });
serve({ fetch: app.fetch, port: Number(process.argv[2]), hostname: '127.0.0.1' }, () =>
  process.stdout.write('ready\n'),
);
