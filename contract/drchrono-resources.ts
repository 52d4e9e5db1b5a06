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
