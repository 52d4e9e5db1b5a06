import { randomUUID } from 'node:crypto';

export interface MutationQueueOptions {
  /** Milliseconds between accepting and applying a mutation. */
  readonly applyDelayMs: number;
}

interface Mutation {
  readonly requestId: string;
  readonly apply: () => void;
  completed: boolean;
  timer?: NodeJS.Timeout;
}

function checkDelay(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0)
    throw new Error(`applyDelayMs must be a non-negative number of milliseconds, got ${ms}`);
  return ms;
}

/**
 * Coda's asynchronous writes: each accepted mutation gets a `requestId`, is applied after a delay
 * (on a real timer), always in acceptance order, and then reports `completed: true`. A stalled
 * mutation is accepted but never applied and never completes.
 */
export function createMutationQueue(options: MutationQueueOptions) {
  let delayMs = checkDelay(options.applyDelayMs);
  let stallBudget = 0;
  const byId = new Map<string, Mutation>();
  const pending: Mutation[] = [];

  /** Applies pending mutations in order, up to and including `last` (all when undefined). */
  function applyThrough(last?: Mutation): number {
    let applied = 0;
    while (pending.length > 0) {
      const next = pending.shift() as Mutation;
      clearTimeout(next.timer);
      next.apply();
      next.completed = true;
      applied += 1;
      if (next === last) break;
    }
    return applied;
  }

  return {
    /** Accepts a mutation and returns its request id. */
    enqueue(apply: () => void): string {
      const mutation: Mutation = { requestId: `mutate:${randomUUID()}`, apply, completed: false };
      byId.set(mutation.requestId, mutation);
      if (stallBudget > 0) {
        stallBudget -= 1;
        return mutation.requestId;
      }
      pending.push(mutation);
      mutation.timer = setTimeout(() => applyThrough(mutation), delayMs);
      mutation.timer.unref();
      return mutation.requestId;
    },
    /** `completed` for a known request id, undefined for an unknown one. */
    status(requestId: string): boolean | undefined {
      return byId.get(requestId)?.completed;
    },
    flush: (): number => applyThrough(),
    pending: (): number => pending.length,
    setDelay(ms: number): void {
      delayMs = checkDelay(ms);
    },
    stallNext(count: number): void {
      if (!Number.isInteger(count) || count < 1)
        throw new Error(`stallNextMutations: count must be a positive integer, got ${count}`);
      stallBudget += count;
    },
    dispose(): void {
      for (const m of pending) clearTimeout(m.timer);
    },
  };
}
