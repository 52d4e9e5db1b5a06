import { afterEach, describe, expect, it } from 'vitest';
import { startCodaSandbox } from '../../../../sandbox/coda/index.js';
import type { RunningCodaSandbox } from '../../../../sandbox/coda/index.js';

let running: RunningCodaSandbox | undefined;

afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe('startCodaSandbox', () => {
  it('serves the API on a free loopback port and applies an upsert after the delay', async () => {
    running = await startCodaSandbox({ tokens: ['tok'], applyDelayMs: 20, port: 0 });
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/apis\/v1$/);
    const doc = running.control.createDoc({ tables: [{ name: 'Patients', columns: [{ name: 'Id' }] }] });
    const table = doc.tables['Patients'];
    const column = table?.columns['Id'] as string;
    const headers = { authorization: 'Bearer tok', 'content-type': 'application/json' };

    const res = await fetch(`${running.url}/docs/${doc.docId}/tables/${table?.id}/rows`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ rows: [{ cells: [{ column, value: '42' }] }], keyColumns: [column] }),
    });
    expect(res.status).toBe(202);
    const { requestId } = (await res.json()) as { requestId: string };

    let completed = false;
    for (let i = 0; i < 50 && !completed; i += 1) {
      await new Promise((r) => setTimeout(r, 10));
      const status = await fetch(`${running.url}/mutationStatus/${encodeURIComponent(requestId)}`, { headers });
      completed = ((await status.json()) as { completed: boolean }).completed;
    }
    expect(completed).toBe(true);

    const rows = (await (
      await fetch(`${running.url}/docs/${doc.docId}/tables/${table?.id}/rows`, { headers })
    ).json()) as {
      items: Array<{ values: Record<string, unknown>; href: string }>;
    };
    expect(rows.items[0]?.values).toEqual({ [column]: '42' });
    expect(rows.items[0]?.href.startsWith(running.url)).toBe(true);
  });

  it('answers 401 over the wire without a token', async () => {
    running = await startCodaSandbox({ tokens: ['tok'] });
    const res = await fetch(`${running.url}/docs/x/tables/y/rows`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ statusCode: 401, statusMessage: 'Unauthorized' });
  });
});
