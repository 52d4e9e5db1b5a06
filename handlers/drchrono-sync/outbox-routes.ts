import { Hono, type MiddlewareHandler } from 'hono';
import type { OutboxRelay } from '../../sync/events/relay.js';
import type { Logger } from '../../sync/observability/logger.js';
import type { AppEnv } from '../app.js';
import { requireStaffRole } from '../middleware/google-auth.js';

/**
 * `POST /outbox/drain` — Cloud Scheduler's safety net behind the relay's LISTEN and timer (OIDC via `guard`): runs
 * drain passes until nothing is pending and answers `{published, messages}` (outbox rows marked published and
 * messages the bus accepted). When a publish failed the rows stay pending (the relay retries them) and the answer is
 * 503 with the same counts plus `failed`, so the scheduler run shows as failed. Database errors go to the app's
 * error handler (generic 500).
 */
export function outboxRoutes(deps: { relay: Pick<OutboxRelay, 'drain'>; guard: MiddlewareHandler; logger: Logger }) {
  const app = new Hono<AppEnv>();
  app.post('/outbox/drain', deps.guard, requireStaffRole(deps.logger, 'admin'), async function outboxDrain(c) {
    const { published, messages, failed } = await deps.relay.drain();
    if (failed > 0) return c.json({ error: 'publish failed; rows stay pending', published, messages, failed }, 503);
    return c.json({ published, messages });
  });
  return app;
}
