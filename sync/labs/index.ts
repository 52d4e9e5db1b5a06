export { abnormalFlagSeverity, classifyLabResult } from './classify.js';
export type { LabClassification, LabResultFacts, LabSeverity } from './classify.js';
export { compareDecimal, parseDecimal } from './decimal.js';
export { parseReferenceRange, rangeUnit } from './reference-range.js';
export type { ReferenceRange } from './reference-range.js';
