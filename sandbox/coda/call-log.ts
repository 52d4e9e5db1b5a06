import { peakPerWindow } from './rate-limit.js';

/** One write call (POST/PUT/PATCH/DELETE) as the sandbox saw it. */
export interface CodaWriteLogEntry {
  /** Sandbox clock, ms since the epoch. */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Rows carried by an accepted upsert. */
  readonly rows?: number;
}

export interface CodaSandboxStats {
  readonly readCalls: number;
  /** Every write call received, whatever its answer. */
  readonly writeCalls: number;
  /** Write calls answered 202. */
  readonly acceptedWrites: number;
  /** Row count of each accepted upsert call, in order. */
  readonly rowsPerUpsert: readonly number[];
  readonly writeLog: readonly CodaWriteLogEntry[];
}

/** What the Coda sandbox saw: read calls counted, write calls logged with their answer. */
export function createCallLog() {
  let readCalls = 0;
  const writeLog: CodaWriteLogEntry[] = [];
  const rowsPerUpsert: number[] = [];
  return {
    read(): void {
      readCalls += 1;
    },
    /** Logs a write call; `rows` (an accepted upsert's row count) also goes to `rowsPerUpsert`. */
    write(entry: CodaWriteLogEntry): void {
      if (entry.rows !== undefined) rowsPerUpsert.push(entry.rows);
      writeLog.push(entry);
    },
    stats: (): CodaSandboxStats => ({
      readCalls,
      writeCalls: writeLog.length,
      acceptedWrites: writeLog.filter((e) => e.status === 202).length,
      rowsPerUpsert: [...rowsPerUpsert],
      writeLog: [...writeLog],
    }),
    /** The most write calls inside any window of `windowMs`, counting every write call or only accepted ones. */
    peakWritesPerWindow(windowMs: number, acceptedOnly: boolean): number {
      const entries = acceptedOnly ? writeLog.filter((e) => e.status === 202) : writeLog;
      return peakPerWindow(
        entries.map((e) => e.at),
        windowMs,
      );
    },
    reset(): void {
      readCalls = 0;
      writeLog.length = 0;
      rowsPerUpsert.length = 0;
    },
  };
}
