/** DrChrono API v4 list endpoints the platform reads (`/api/<resource>`), parents before the records that link to them. */
export const drchronoResources = [
  'doctors',
  'patients',
  'appointments',
  'clinical_notes',
  'medications',
  'problems',
  'allergies',
  'line_items',
  'transactions',
  'patient_payments',
] as const;
export type DrChronoResource = (typeof drchronoResources)[number];

/** DrChrono billing list endpoints the platform reads (`/api/<resource>`), parents first. */
export const drchronoBillingResources = ['line_items', 'transactions', 'patient_payments'] as const;
export type DrChronoBillingResource = (typeof drchronoBillingResources)[number];

/** Deletion/audit logs DrChrono offers instead of delete events for billing records. */
export const drchronoBillingLogs = ['line_item_deletions', 'patient_payment_log'] as const;
export type DrChronoBillingLog = (typeof drchronoBillingLogs)[number];

/** DrChrono lab list endpoints the platform reads, parents first. */
export const drchronoLabResources = ['lab_orders', 'lab_tests', 'lab_results'] as const;
export type DrChronoLabResource = (typeof drchronoLabResources)[number];

/** The list endpoints the sandbox's slot store serves (labs have their own store, sandbox/drchrono/lab-store.ts). */
export type DrChronoSlotEndpoint = DrChronoResource | DrChronoBillingLog;

/** Every list endpoint the sandbox serves and the client may call. */
export type DrChronoEndpoint = DrChronoSlotEndpoint | DrChronoLabResource;
