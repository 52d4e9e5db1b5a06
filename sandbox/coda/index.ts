export {
  createCodaSandbox,
  CODA_API_PREFIX,
  CODA_MAX_BODY_BYTES,
  CODA_RATE_WINDOW_MS,
  CODA_READS_PER_WINDOW,
  CODA_WRITES_PER_WINDOW,
} from './app.js';
export type {
  CodaRateLimitOptions,
  CodaSandbox,
  CodaSandboxControl,
  CodaSandboxOptions,
  CodaSandboxRow,
} from './app.js';
export type { CodaSandboxStats, CodaWriteLogEntry } from './call-log.js';
export { startCodaSandbox } from './server.js';
export type { RunningCodaSandbox, StartCodaSandboxOptions } from './server.js';
export { codaErrorBody } from './errors.js';
export type { CodaErrorBody } from './errors.js';
export type { FaultScope, FaultSpec, FaultStatus } from './faults.js';
export { peakPerWindow } from './rate-limit.js';
export type { CodaColumnSpec, CodaDocSpec, CodaTableSpec, CreatedCodaDoc } from './store.js';
