export { CODA_DEFAULT_BASE_URL, CODA_MAX_ROWS_PER_UPSERT, createCodaClient } from './client.js';
export type {
  CodaCallOptions,
  CodaCell,
  CodaClient,
  CodaClientOptions,
  CodaColumn,
  CodaRowInput,
  CodaRowOutput,
  MutationStatus,
} from './client.js';
export { codaEnvShape, codaPushDepsFromEnv } from './config.js';
export type { CodaEnv, CodaPushSyncDeps } from './config.js';
export {
  CodaError,
  CodaHttpError,
  CodaMappingError,
  CodaMutationTimeoutError,
  CodaNetworkError,
  CodaProtocolError,
  CodaRateLimitedError,
  PushAbandonedError,
  RowsMissingError,
  UnknownTableError,
} from './errors.js';
export {
  checkMappingAgainstSchema,
  codaMappingFileSchema,
  columnTitle,
  defaultCodaDocSpec,
  DELETED_COLUMN_NAME,
  loadCodaMapping,
  mappingFromCreatedDoc,
  parseCodaMapping,
  tableMapping,
  titleOf,
  validateMappingAgainstCoda,
} from './mapping.js';
export type { CodaDocSpecLike, CodaMapping, CodaTableMapping, CreatedCodaDocLike } from './mapping.js';
export { cleanupProcessedMessages, isProcessed, markProcessed } from './processed.js';
export { batchRows, confirmMutations, MAX_UPSERT_BODY_BYTES, pushChangeEvent, toCodaRow } from './push.js';
export type { PushContext, PushDeps, PushResult } from './push.js';
export {
  CODA_WINDOW_MS,
  createCodaRateLimiter,
  createSlidingWindowGate,
  DEFAULT_READS_PER_WINDOW,
  DEFAULT_WRITES_PER_WINDOW,
  sharedCodaRateLimiter,
} from './rate-limiter.js';
export type {
  CodaRateLimiter,
  CodaRateLimiterOptions,
  SlidingWindowGate,
  SlidingWindowGateOptions,
} from './rate-limiter.js';
export { createTableWriteLock, tableWriteLockFor } from './table-write-lock.js';
export type { TableWriteLock, TableWriteLockOptions } from './table-write-lock.js';
export { codaSourceTables, sourceTableInfo, toCodaValue, valueKind } from './tables.js';
export type { CodaSourceTable, SourceColumn, SourceTableInfo, ValueKind } from './tables.js';
