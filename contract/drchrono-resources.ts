/** DrChrono API v4 list endpoints the platform reads (`/api/<resource>`), parents before the records that link to them. */
export const drchronoResources = [
  'doctors',
  'patients',
  'appointments',
  'clinical_notes',
  'medications',
  'problems',
  'allergies',
] as const;
export type DrChronoResource = (typeof drchronoResources)[number];

/** DrChrono lab list endpoints the platform reads, parents first. */
export const drchronoLabResources = ['lab_orders', 'lab_tests', 'lab_results'] as const;
export type DrChronoLabResource = (typeof drchronoLabResources)[number];
