import { describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT } from '../../../../sandbox/drchrono/index.js';
import { sandboxWithClock } from './helpers.js';

describe('DrChrono sandbox hourly call budget', () => {
  it('answers 429 without Retry-After once the budget is spent and resets at the top of the next hour', async () => {
    const s = sandboxWithClock({ hourlyCallBudget: 5 }, Date.UTC(2026, 2, 2, 9, 59, 0));
    for (let i = 0; i < 5; i += 1) expect((await s.get('/api/doctors')).status).toBe(200);
    const limited = await s.get('/api/doctors');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeNull();
    expect(s.control.callsUsed()).toBe(5);
    s.clock.now = Date.UTC(2026, 2, 2, 10, 0, 0); // top of the hour, not 60 minutes after the first call
    expect((await s.get('/api/doctors')).status).toBe(200);
    expect(s.control.callsUsed()).toBe(1);
  });

  it('defaults to 500 calls per hour', async () => {
    const s = sandboxWithClock();
    for (let i = 0; i < 500; i += 1) await s.get('/api/doctors');
    expect(s.control.callsUsed()).toBe(500);
    expect((await s.get('/api/doctors')).status).toBe(429);
  });

  it('does not count token calls against the budget', async () => {
    const s = sandboxWithClock({ hourlyCallBudget: 1 });
    await s.app.request('/o/token/', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: s.tokens.refresh_token,
        client_id: DEFAULT_CLIENT.clientId,
        client_secret: DEFAULT_CLIENT.clientSecret,
      }).toString(),
    });
    expect(s.control.callsUsed()).toBe(0);
  });

  it('keeps a separate budget per application', async () => {
    const other = { clientId: 'other', clientSecret: 'other-secret', redirectUri: 'http://127.0.0.1/cb' };
    const s = sandboxWithClock({ hourlyCallBudget: 1, clients: [DEFAULT_CLIENT, other] });
    const otherToken = s.control.issueTokenPair('other').access_token;
    expect((await s.get('/api/doctors')).status).toBe(200);
    expect((await s.get('/api/doctors')).status).toBe(429);
    expect((await s.get('/api/doctors', otherToken)).status).toBe(200);
    expect(s.control.callsUsed('other')).toBe(1);
  });

  it('can change the budget at run time', async () => {
    const s = sandboxWithClock({ hourlyCallBudget: 1 });
    await s.get('/api/doctors');
    s.control.setHourlyCallBudget(3);
    expect((await s.get('/api/doctors')).status).toBe(200);
    expect(() => s.control.setHourlyCallBudget(-1)).toThrow(/hourlyCallBudget/);
  });
});
