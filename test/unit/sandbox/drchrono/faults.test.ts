import { describe, expect, it } from 'vitest';
import { sandboxWithClock, walk } from './helpers.js';

describe('DrChrono sandbox fault switches', () => {
  it('fails the next N calls with the chosen 5xx and then recovers', async () => {
    const s = sandboxWithClock();
    s.control.failNext(2, { status: 503 });
    expect((await s.get('/api/doctors')).status).toBe(503);
    expect((await s.get('/api/doctors')).status).toBe(503);
    expect((await s.get('/api/doctors')).status).toBe(200);
  });

  it('fails only the third request of a pagination walk', async () => {
    const s = sandboxWithClock({ patientCount: 50 });
    s.control.failRequest(3);
    const statuses: number[] = [];
    let url: string | null = 'http://sandbox.test/api/patients?page_size=10';
    while (url) {
      const response = await s.get(url);
      statuses.push(response.status);
      if (response.status !== 200) continue; // retry the same page
      url = ((await response.json()) as { next: string | null }).next;
    }
    expect(statuses).toEqual([200, 200, 500, 200, 200, 200]);
  });

  it('fails requests that match a predicate a limited number of times', async () => {
    const s = sandboxWithClock({ patientCount: 10 });
    s.control.failMatching((url) => url.pathname === '/api/medications', { status: 502, times: 1 });
    expect((await s.get('/api/patients')).status).toBe(200);
    expect((await s.get('/api/medications')).status).toBe(502);
    expect((await s.get('/api/medications')).status).toBe(200);
  });

  it('adds latency to API responses', async () => {
    const s = sandboxWithClock({ patientCount: 10 });
    s.control.setLatencyMs(60);
    const started = performance.now();
    await s.get('/api/doctors');
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    s.control.clearFaults();
    const pages = await walk(s.get, 'http://sandbox.test/api/doctors');
    expect(pages).toHaveLength(1);
  });

  it('counts failed calls against the budget like real API calls', async () => {
    const s = sandboxWithClock({ hourlyCallBudget: 2 });
    s.control.failNext(2);
    await s.get('/api/doctors');
    await s.get('/api/doctors');
    expect((await s.get('/api/doctors')).status).toBe(429);
    expect(s.control.apiRequestCount()).toBe(3);
  });
});
