/** Status codes the fault switch can answer with. */
export type FaultStatus = 429 | 500 | 502 | 503;

/** Which calls a fault applies to: writes are POST/PUT/PATCH/DELETE, reads are GET. */
export type FaultScope = 'writes' | 'reads' | 'all';

export interface FaultSpec {
  readonly status: FaultStatus;
  /** Answer this many matching calls, then stop. @default unlimited (until `durationMs` ends or `clearFaults()`) */
  readonly count?: number;
  /** Answer matching calls for this many milliseconds of the sandbox clock. @default unlimited */
  readonly durationMs?: number;
  /** @default 'all' */
  readonly scope?: FaultScope;
  /** Adds `Retry-After: <seconds>` to the faulted answers. @default no header, like Coda */
  readonly retryAfterSeconds?: number;
}

interface ActiveFault {
  readonly spec: FaultSpec;
  remaining: number;
  readonly until: number;
}

/**
 * The sandbox's fault switch: storms of 429 or 5xx answers for the next N calls or a time window.
 * @throws Error when `count` or `durationMs` is not a positive number
 */
export function createFaultSwitch(clock: () => number) {
  let faults: ActiveFault[] = [];

  return {
    inject(spec: FaultSpec): void {
      if (spec.count !== undefined && !(Number.isInteger(spec.count) && spec.count > 0)) {
        throw new Error(`injectFaults: count must be a positive integer, got ${spec.count}`);
      }
      if (spec.durationMs !== undefined && !(spec.durationMs > 0)) {
        throw new Error(`injectFaults: durationMs must be positive (milliseconds), got ${spec.durationMs}`);
      }
      faults.push({
        spec,
        remaining: spec.count ?? Number.POSITIVE_INFINITY,
        until: spec.durationMs === undefined ? Number.POSITIVE_INFINITY : clock() + spec.durationMs,
      });
    },
    /** The fault to answer a call with (and uses up one of its count), or undefined. */
    take(isWrite: boolean): FaultSpec | undefined {
      const at = clock();
      faults = faults.filter((f) => f.remaining > 0 && at < f.until);
      const fault = faults.find((f) => {
        const scope = f.spec.scope ?? 'all';
        return scope === 'all' || (scope === 'writes') === isWrite;
      });
      if (!fault) return undefined;
      fault.remaining -= 1;
      return fault.spec;
    },
    clear(): void {
      faults = [];
    },
  };
}
