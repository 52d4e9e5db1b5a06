export { anonymizeDatabase, AnonymizeSchemaError, AnonymizeTargetError, ANONYMIZE_ACTOR } from './run.js';
export type { AnonymizeOptions, AnonymizeResult } from './run.js';
export { AnonymizeKeyError, parseAnonymizeKey, PseudonymKey, MAX_SHIFT_DAYS } from './key.js';
export { anonymizeReport } from './report.js';
export { anonymizeRegistry, tableName } from './registry.js';
export type { CopiedTable, SkippedTable, TableRules } from './registry.js';
export { RESTRICTED_ZIP3, generaliseZip } from './safe-harbor.js';
