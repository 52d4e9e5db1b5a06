export {
  createSyntheticDataset,
  syntheticPhiValues,
  formatDate,
  formatTimestamp,
  ID_BASE,
  SLOTS_PER_PATIENT,
  BILLING_SLOTS_PER_PATIENT,
  MAX_PATIENTS,
} from './dataset.js';
export type { ChildResource, DrChronoRecord, SyntheticDataset, SyntheticDatasetOptions } from './dataset.js';
export { hash32, RecordRandom } from './prng.js';
export { createLabGenerator, LAB_ID_BASE, LAB_SLOTS_PER_PARENT, syntheticLabPhiValues } from './labs.js';
export type { LabGenerator, LabResource } from './labs.js';
