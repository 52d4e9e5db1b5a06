import * as schema from '../schema/index.js';
import { mirrorSpec, type MirrorRowOf, type MirrorSpec } from './upsert.js';

/** The DrChrono mirror tables, by SQL table name. */
export const mirrorTables = {
  providers: schema.providers,
  patients: schema.patients,
  insurance_records: schema.insuranceRecords,
  appointments: schema.appointments,
  clinical_notes: schema.clinicalNotes,
  medications: schema.medications,
  problems: schema.problems,
  allergies: schema.allergies,
  line_items: schema.lineItems,
  insurance_transactions: schema.insuranceTransactions,
  patient_payments: schema.patientPayments,
  lab_orders: schema.labOrders,
  lab_tests: schema.labTests,
  lab_results: schema.labResults,
} as const;

export type MirrorTable = keyof typeof mirrorTables;

/** The row each mirror table upserts, typed from its Drizzle declaration (e.g. `MirrorRows['patients']`). */
export type MirrorRows = { [K in MirrorTable]: MirrorRowOf<(typeof mirrorTables)[K]> };

type MirrorSpecs = { readonly [K in MirrorTable]: MirrorSpec<(typeof mirrorTables)[K]> };

/** Upsert specs of every DrChrono mirror table, built once from {@link mirrorTables}. */
export const mirrors = Object.fromEntries(
  Object.entries(mirrorTables).map(([name, table]) => {
    const spec = mirrorSpec(table);
    if (spec.table !== name) throw new Error(`mirrorTables: key ${name} must be the table's SQL name, ${spec.table}`);
    return [name, spec];
  }),
) as unknown as MirrorSpecs; // fromEntries loses the per-key types; the loop above keeps key and table in step
