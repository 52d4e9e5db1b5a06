import { createDrChronoSandbox } from '../../../../sandbox/drchrono/index.js';
import type { DrChronoSandboxOptions } from '../../../../sandbox/drchrono/index.js';

export const HOUR_MS = 3_600_000;

/** A sandbox with a controllable clock and a ready access token. */
export function sandboxWithClock(options: DrChronoSandboxOptions = {}, startMs = Date.UTC(2026, 2, 2, 9, 30)) {
  const clock = { now: startMs };
  const sandbox = createDrChronoSandbox({ clock: () => clock.now, patientCount: 60, ...options });
  const tokens = sandbox.control.issueTokenPair();
  const get = async (path: string, token = tokens.access_token): Promise<Response> =>
    sandbox.app.request(path, { headers: { authorization: `Bearer ${token}` } });
  return { ...sandbox, clock, tokens, get };
}

export interface ListBody {
  previous: string | null;
  next: string | null;
  results: Array<Record<string, unknown>>;
}

/** Follows `next` as given until null; returns every page. */
export async function walk(get: (path: string) => Response | Promise<Response>, first: string): Promise<ListBody[]> {
  const pages: ListBody[] = [];
  let url: string | null = first;
  while (url) {
    const response = await get(url);
    if (response.status !== 200) throw new Error(`walk: ${response.status} ${await response.text()}`);
    const body = (await response.json()) as ListBody;
    pages.push(body);
    url = body.next;
  }
  return pages;
}
