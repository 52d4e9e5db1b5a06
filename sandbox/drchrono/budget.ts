/** DrChrono's per-application API budget: fixed clock-hour windows, reset at the top of each hour. */

const HOUR_MS = 3_600_000;

export interface CallBudget {
  /** Counts one call for the client; false (and nothing counted) once the hour's budget is spent. */
  take(clientId: string): boolean;
  /** Calls counted for the client in the current clock hour. */
  used(clientId: string): number;
  /** Changes the hourly budget from now on. @throws Error unless an integer ≥ 0. */
  setHourlyBudget(budget: number): void;
}

function checkBudget(budget: number): void {
  if (!Number.isInteger(budget) || budget < 0)
    throw new Error(`hourlyCallBudget must be an integer >= 0, got ${String(budget)}`);
}

/**
 * @param hourlyBudget calls per application per clock hour, an integer ≥ 0.
 * @param clock epoch milliseconds; decides which hour a call falls in.
 * @throws Error when `hourlyBudget` is not an integer ≥ 0.
 */
export function createCallBudget(hourlyBudget: number, clock: () => number): CallBudget {
  checkBudget(hourlyBudget);
  let budget = hourlyBudget;
  const usage = new Map<string, { hour: number; used: number }>();
  const windowFor = (clientId: string) => {
    const hour = Math.floor(clock() / HOUR_MS);
    let entry = usage.get(clientId);
    if (!entry || entry.hour !== hour) {
      entry = { hour, used: 0 };
      usage.set(clientId, entry);
    }
    return entry;
  };
  return {
    take: (clientId) => {
      const window = windowFor(clientId);
      if (window.used >= budget) return false;
      window.used += 1;
      return true;
    },
    used: (clientId) => windowFor(clientId).used,
    setHourlyBudget: (next) => {
      checkBudget(next);
      budget = next;
    },
  };
}
