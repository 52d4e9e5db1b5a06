// DrChrono's published facts about its list endpoints (OpenAPI schema v4; sources field by field in
// sandbox/drchrono/README.md): page caps and verbose-only fields. A leaf, so the client (sync/drchrono) and the
// stand-in that must behave like DrChrono (sandbox/drchrono) read the same numbers.
import type { DrChronoEndpoint, DrChronoLabResource, DrChronoSlotEndpoint } from './drchrono-resources.js';

export interface PageCaps {
  /** Largest `page_size` DrChrono honours without `verbose`. */
  readonly max: number;
  /** Largest `page_size` DrChrono honours with `verbose=true`. */
  readonly verboseMax: number;
}

/**
 * DrChrono's page caps. `/api/appointments`: the schema's `page_size` maximum is 250 and its `verbose` parameter says
 * "limit page_size to 25". The other GET lists document no maximum; DrChrono's support pages give 250 as the API's
 * page limit, and verbose lists were capped at 50 on a third-party account (DESIGN §7.1). The billing lists document no
 * maximum either (a third party gives 250 for line_items); the same 250/50 applies.
 */
const slotPageCaps: Readonly<Record<DrChronoSlotEndpoint, PageCaps>> = {
  doctors: { max: 250, verboseMax: 50 },
  patients: { max: 250, verboseMax: 50 },
  appointments: { max: 250, verboseMax: 25 },
  clinical_notes: { max: 250, verboseMax: 50 },
  medications: { max: 250, verboseMax: 50 },
  problems: { max: 250, verboseMax: 50 },
  allergies: { max: 250, verboseMax: 50 },
  line_items: { max: 250, verboseMax: 50 },
  transactions: { max: 250, verboseMax: 50 },
  patient_payments: { max: 250, verboseMax: 50 },
  line_item_deletions: { max: 250, verboseMax: 50 },
  patient_payment_log: { max: 250, verboseMax: 50 },
};

/**
 * Page size when a request sends no `page_size`. DrChrono does not document it (the schema is silent); the sandbox
 * serves this small page so a client that forgets `page_size` pays for it, as it would against DrChrono.
 */
export const drchronoDefaultPageSize = 25;

/**
 * Fields DrChrono serialises only with `verbose=true` (`x-verbose-required` in its OpenAPI schema), for the
 * endpoints we read. Billing: only `BillingLineItem` declares one (`description`); `LineItemTransaction`, `CashPayment`
 * and `CashPaymentLog` declare an empty list, `BillingLineItemDeletion` none.
 */
const slotVerboseOnlyFields: Readonly<Record<DrChronoSlotEndpoint, readonly string[]>> = {
  doctors: [],
  patients: [
    'auto_accident_insurance',
    'custom_demographics',
    'patient_flags',
    'patient_flags_attached',
    'primary_insurance',
    'referring_doctor',
    'secondary_insurance',
    'tertiary_insurance',
    'workers_comp_insurance',
  ],
  appointments: [
    'reminders',
    'vitals',
    'custom_fields',
    'custom_vitals',
    'clinical_note',
    'extended_updated_at',
    'status_transitions',
  ],
  clinical_notes: [],
  medications: [],
  problems: [],
  allergies: ['description'],
  line_items: ['description'],
  transactions: [],
  patient_payments: [],
  line_item_deletions: [],
  patient_payment_log: [],
};

/**
 * Page caps of the lab lists (`/api/lab_orders`, `/api/lab_tests`, `/api/lab_results`). The schema documents
 * `cursor` and `page_size` on them with no maximum; the API-wide 250 (50 verbose) applies as for the other lists.
 */
export const drchronoLabPageCaps: Readonly<Record<DrChronoLabResource, PageCaps>> = {
  lab_orders: { max: 250, verboseMax: 50 },
  lab_tests: { max: 250, verboseMax: 50 },
  lab_results: { max: 250, verboseMax: 50 },
};

/** Verbose-only fields of the lab resources: none (`LabOrder`, `LabTest`, `LabResult` have `x-verbose-required: []`). */
export const drchronoLabVerboseOnlyFields: Readonly<Record<DrChronoLabResource, readonly string[]>> = {
  lab_orders: [],
  lab_tests: [],
  lab_results: [],
};

/** Page caps of every list endpoint the client may call (the slot endpoints and the lab lists). */
export const drchronoPageCaps: Readonly<Record<DrChronoEndpoint, PageCaps>> = {
  ...slotPageCaps,
  ...drchronoLabPageCaps,
};

/** Verbose-only fields of every list endpoint the client may call. */
export const drchronoVerboseOnlyFields: Readonly<Record<DrChronoEndpoint, readonly string[]>> = {
  ...slotVerboseOnlyFields,
  ...drchronoLabVerboseOnlyFields,
};
