import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, numeric, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { auditedColumns, mirrorColumns, oneOf, timestamptz } from './columns.js';
import { patients, providers } from './drchrono.js';

// Labs: mirrors of DrChrono's lab orders, tests and results, the clinical review queue (one open item per abnormal or
// critical result) and a per-order status derived for Coda. sync/labs/recompute.ts keeps the review queue and the
// order statuses current in the same transaction as the results that move them.
//
// DrChrono's lab objects carry no `updated_at`: source_updated_at stays null, and the upsert's column-by-column
// comparison is what detects a change (an unchanged re-read writes nothing and announces nothing). A test or result
// links to its order by DrChrono id without a foreign key: a result for an order we have not seen is stored as sent,
// and gets its patient when the order arrives.

/** The classifier's severities (sync/labs/classify.ts `LabSeverity`). */
export const labSeverities = ['critical', 'abnormal', 'normal', 'unknown'] as const;
/** Severities that open a review item. */
export const reviewSeverities = ['critical', 'abnormal'] as const;

/** `/api/lab_orders`: one requisition sent to a lab. */
export const labOrders = pgTable(
  'lab_orders',
  {
    ...mirrorColumns(),
    patientDrchronoId: text('patient').references(() => patients.drchronoId),
    doctorDrchronoId: text('doctor').references(() => providers.drchronoId),
    sublab: text('sublab'),
    /** N not sent, Q queued, A ABN required, S sent, R results received, E error (DrChrono's codes). */
    status: text('status'),
    /** N normal, S STAT. */
    priority: text('priority'),
    /** The ICD-10 codes of `icd10_codes[]` (their descriptions stay in `raw`). */
    icd10Codes: text('icd10_codes').array(),
    requisitionId: text('requisition_id'),
    externalRequisitionId: text('external_requisition_id'),
    accessionNumber: text('accession_number'),
    notes: text('notes'),
    /** Submission time (DrChrono's `timestamp`, practice-local → UTC). */
    timestamp: timestamptz('timestamp'),
    documents: text('documents').array(),
  },
  (t) => [index('lab_orders_patient_idx').on(t.patientDrchronoId)],
);

/** `/api/lab_tests`: one test (panel) of an order. */
export const labTests = pgTable(
  'lab_tests',
  {
    ...mirrorColumns(),
    labOrderDrchronoId: text('lab_order'),
    name: text('name'),
    code: text('code'),
    description: text('description'),
    /** P preliminary, I pending, C correction, F final, X cancelled. */
    status: text('status'),
    collectionDate: timestamptz('collection_date'),
    specimenSource: text('specimen_source'),
    specimenCondition: text('specimen_condition'),
    specimenTotalVolume: numeric('specimen_total_volume'),
    internalNotes: text('internal_notes'),
    reportNotes: text('report_notes'),
  },
  (t) => [index('lab_tests_order_idx').on(t.labOrderDrchronoId)],
);

/** `/api/lab_results`: one observation (analyte) of a test, with the classifier's verdict. */
export const labResults = pgTable(
  'lab_results',
  {
    ...mirrorColumns(),
    labTestDrchronoId: text('lab_test'),
    labOrderDrchronoId: text('lab_order'),
    /** The order's patient (results carry none); null while the order has not been seen. */
    patientDrchronoId: text('patient'),
    document: text('document'),
    testPerformed: text('test_performed'),
    /** LOINC in practice. */
    observationCode: text('observation_code'),
    observationDescription: text('observation_description'),
    groupCode: text('group_code'),
    /** The value as the lab sent it. */
    value: text('value'),
    valueIsNumeric: boolean('value_is_numeric'),
    /** `value` as a number when `value_is_numeric` and it is one decimal; null otherwise. */
    valueNumeric: numeric('value_numeric'),
    unit: text('unit'),
    /** The reference range as sent (`"<low> <high>"`, `"3.5-5.0"`, `"<5"`, `"negative"`…). */
    normalRange: text('normal_range'),
    /** Bounds parsed from `normal_range` (sync/labs/reference-range.ts); null where there is none or it is text. */
    rangeLow: numeric('range_low'),
    rangeHigh: numeric('range_high'),
    /** HL7 table 0078 code as sent (L, LL, H, HH, <, >, A, AA, N, …; unknown codes kept). */
    abnormalStatus: text('abnormal_status'),
    /** DrChrono's `is_abnormal` (a string in its schema): true/false, null when absent or unreadable. */
    isAbnormal: boolean('is_abnormal'),
    /** P preliminary, I pending, C correction, F final, X cancelled. */
    status: text('status'),
    specimenReceived: timestamptz('specimen_received'),
    comments: text('comments'),
    /** classifyLabResult's severity. */
    severity: text('severity').notNull(),
    /** What decided it: a code, never the value (`flag:HH`, `range:below_low`, `non_numeric_value`…). */
    severityReason: text('severity_reason').notNull(),
  },
  (t) => [
    index('lab_results_order_idx').on(t.labOrderDrchronoId),
    index('lab_results_test_idx').on(t.labTestDrchronoId),
    index('lab_results_patient_idx').on(t.patientDrchronoId),
    check('lab_results_severity_check', oneOf('severity', labSeverities)),
  ],
);

/**
 * The clinical review queue: one item per abnormal or critical result, open until a clinician acknowledges it (or the
 * result turns normal, is cancelled or deleted). A correction (status C) of an acknowledged result reopens the same
 * row (reopened_count + 1); change_log keeps every transition with its actor.
 */
export const labReviews = pgTable(
  'lab_reviews',
  {
    ...auditedColumns(),
    labResultDrchronoId: text('lab_result').notNull(),
    labOrderDrchronoId: text('lab_order'),
    patientDrchronoId: text('patient'),
    /** The ordering doctor: who should review. */
    doctorDrchronoId: text('doctor'),
    severity: text('severity').notNull(),
    /** The classifier's reason (a code, no value). */
    severityReason: text('severity_reason'),
    /** The result's status when the item was last opened (a later correction is told apart by its content). */
    resultStatus: text('result_status'),
    /** md5 of what was reviewed (value, unit, range, flag, status): a correction with the same content reopens nothing. */
    resultDigest: text('result_digest').notNull(),
    openedAt: timestamptz('opened_at').notNull().defaultNow(),
    acknowledgedAt: timestamptz('acknowledged_at'),
    /** Staff email from IAP. */
    acknowledgedBy: text('acknowledged_by'),
    closedAt: timestamptz('closed_at'),
    /** `acknowledged`, `normal`, `cancelled`, `result_deleted`, `order_deleted`. */
    closeReason: text('close_reason'),
    reopenedCount: integer('reopened_count').notNull().default(0),
    /** `correction`, `abnormal_again`. */
    reopenReason: text('reopen_reason'),
  },
  (t) => [
    uniqueIndex('lab_reviews_open_result_idx')
      .on(t.labResultDrchronoId)
      .where(sql`closed_at IS NULL`),
    index('lab_reviews_result_idx').on(t.labResultDrchronoId),
    index('lab_reviews_open_idx')
      .on(t.severity, t.openedAt)
      .where(sql`closed_at IS NULL`),
    check('lab_reviews_severity_check', oneOf('severity', reviewSeverities)),
  ],
);

/** Review states of an order in Coda: none needed, some open, all acknowledged or closed. */
export const labReviewStates = ['none', 'open', 'reviewed'] as const;

/** One row per lab order for Coda: dates, status and how many results need attention. Derived, changed-only writes. */
export const labOrderStatuses = pgTable(
  'lab_order_statuses',
  {
    ...auditedColumns(),
    labOrderDrchronoId: text('lab_order').notNull(),
    patientDrchronoId: text('patient'),
    chartId: text('chart_id'),
    orderedAt: timestamptz('ordered_at'),
    /** Latest `specimen_received` of the order's live results. */
    receivedAt: timestamptz('received_at'),
    status: text('status'),
    priority: text('priority'),
    resultCount: integer('result_count').notNull(),
    abnormalCount: integer('abnormal_count').notNull(),
    criticalCount: integer('critical_count').notNull(),
    openReviews: integer('open_reviews').notNull(),
    reviewState: text('review_state').notNull(),
    deletedAt: timestamptz('deleted_at'),
  },
  (t) => [
    uniqueIndex('lab_order_statuses_order_idx').on(t.labOrderDrchronoId),
    check('lab_order_statuses_review_state_check', oneOf('review_state', labReviewStates)),
  ],
);

/**
 * Orders whose tests and results must be re-read (LAB_ORDER_CREATE|MODIFY webhooks may not call DrChrono inline):
 * the next incremental lab cycle drains it first, on the webhook share of the call budget. Ids only.
 */
export const labOrderRefresh = pgTable('lab_order_refresh', {
  labOrderDrchronoId: text('lab_order').primaryKey(),
  requestedAt: timestamptz('requested_at').notNull().defaultNow(),
});
