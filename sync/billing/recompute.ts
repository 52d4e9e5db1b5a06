import type { TransactionSql } from 'postgres';
import type { PgValueWarnings } from '../db/pg-values.js';
import { deriveClaimStatus, worstClaimStatus, type ClaimStatus, type PostingEvidence } from './claim-status.js';
import { fromCents, sumCents, toCents } from './money.js';
import { dbSpan } from '../observability/spans.js';

// Claim statuses and reconciliations of some appointments, recomputed from the mirrors inside the caller's
// transaction — the one that changed the line items, postings, payments or the appointment — so derived rows never
// lag the rows they come from. Only rows whose figures changed are written (and announced in the outbox), so a
// re-read page costs reads and no Coda writes.

interface AppointmentRow {
  drchrono_id: string;
  patient: string | null;
  billing_status: string | null;
  ins1_status: string | null;
  ins2_status: string | null;
  primary_name: string | null;
  secondary_name: string | null;
}
interface LineItemRow {
  drchrono_id: string;
  appointment: string;
  billing_status: string | null;
  denied_flag: boolean | null;
  billed: string | null;
  price: string | null;
  ins1_paid: string | null;
  ins2_paid: string | null;
  ins_total: string | null;
  pt_paid: string | null;
  adjustment: string | null;
  balance_ins: string | null;
  balance_pt: string | null;
  service_date: string | null;
}
interface PostingRow {
  drchrono_id: string;
  appointment: string;
  line_item: string | null;
  ins_name: string | null;
  ins_paid: string | null;
  adjustment: string | null;
  adjustment_group_code: string | null;
  adjustment_reason: string | null;
  claim_status: string | null;
  posted_date: string | null;
}
interface PaymentRow {
  appointment: string;
  line_item: string | null;
  amount: string | null;
  payment_transaction_type: string | null;
}

/** A claim_statuses row as the recompute writes it. */
export interface ClaimRow {
  claim_key: string;
  appointment: string;
  patient: string | null;
  payer_rank: 'primary' | 'secondary';
  payer_name: string | null;
  status: ClaimStatus;
  status_source: string;
  denial_reasons: string | null;
  billed: string;
  insurance_paid: string;
}

/** A billing_reconciliations row as the recompute writes it. */
export interface ReconciliationRow {
  appointment: string;
  patient: string | null;
  service_date: string | null;
  line_item_count: number;
  charges: string;
  insurance_paid: string;
  insurance_posted: string;
  patient_paid: string;
  patient_posted: string;
  refunds: string;
  adjustments: string;
  adjustments_posted: string;
  balance: string;
  claim_status: ClaimStatus | null;
  needs_review: boolean;
  review_reason: string | null;
}

export interface AppointmentBilling {
  readonly appointment: AppointmentRow;
  readonly lineItems: readonly LineItemRow[];
  readonly postings: readonly PostingRow[];
  readonly payments: readonly PaymentRow[];
}

export interface DerivedBilling {
  readonly claims: ClaimRow[];
  readonly reconciliation: ReconciliationRow | null;
  /** Status texts no rule knows (custom values), by the column they came from. */
  readonly unmapped: { readonly column: string }[];
}

const isRefund = (p: PaymentRow) => (p.payment_transaction_type ?? '').trim().toUpperCase() === 'REF';
const payerOf = (p: PostingRow): 'primary' | 'secondary' =>
  (p.ins_name ?? '').trim() === '2' ? 'secondary' : 'primary';
const blank = (s: string | null | undefined) => s === null || s === undefined || s.trim() === '';

/** The most common non-empty value (first seen wins a tie), or null. */
function mostCommon(values: readonly (string | null)[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) if (!blank(v)) counts.set(v!, (counts.get(v!) ?? 0) + 1);
  let best: string | null = null;
  for (const [v, n] of counts) if (best === null || n > counts.get(best)!) best = v;
  return best;
}

/** Claims and reconciliation of one appointment from its live billing rows. Pure: the tests drive it directly. */
export function deriveAppointmentBilling(input: AppointmentBilling): DerivedBilling {
  const { appointment: a, lineItems, postings, payments } = input;
  const liveLineItems = new Set(lineItems.map((li) => li.drchrono_id));
  const unmapped: { column: string }[] = [];
  const deniedFlag = lineItems.some((li) => li.denied_flag === true);
  const insuranceBalanceOpen = sumCents(lineItems.map((li) => li.balance_ins)) > 0n;
  const billed = fromCents(sumCents(lineItems.map((li) => li.billed ?? li.price)));

  const claims: ClaimRow[] = [];
  for (const rank of ['primary', 'secondary'] as const) {
    const own = postings.filter((p) => payerOf(p) === rank);
    const insStatus = rank === 'primary' ? a.ins1_status : a.ins2_status;
    const exists =
      rank === 'primary'
        ? lineItems.length > 0 || !blank(insStatus) || own.length > 0
        : !blank(insStatus) || own.length > 0;
    if (!exists) continue;
    const lineItemStatus =
      rank === 'primary' && blank(insStatus) ? mostCommon(lineItems.map((li) => li.billing_status)) : null;
    const statusText = blank(insStatus) ? lineItemStatus : insStatus;
    const derived = deriveClaimStatus({
      statusText,
      postings: own.map((p): PostingEvidence => ({
        claimStatus: p.claim_status,
        postedDate: p.posted_date,
        drchronoId: p.drchrono_id,
      })),
      deniedFlag,
      insuranceBalanceOpen,
      appointmentBillingStatus: rank === 'primary' ? a.billing_status : null,
    });
    if (derived.unknownText)
      unmapped.push({
        column: blank(insStatus)
          ? 'line_items.billing_status'
          : `appointments.${rank === 'primary' ? 'ins1' : 'ins2'}_status`,
      });
    const reasons = [
      ...new Set(
        own
          .filter((p) => (p.claim_status ?? '').trim() === '4' && !blank(p.adjustment_reason))
          .map((p) =>
            blank(p.adjustment_group_code)
              ? p.adjustment_reason!.trim()
              : `${p.adjustment_group_code!.trim()}-${p.adjustment_reason!.trim()}`,
          ),
      ),
    ];
    claims.push({
      claim_key: `${a.drchrono_id}:${rank}`,
      appointment: a.drchrono_id,
      patient: a.patient,
      payer_rank: rank,
      payer_name: rank === 'primary' ? a.primary_name : a.secondary_name,
      status: derived.status,
      status_source: derived.source,
      denial_reasons: reasons.length > 0 ? reasons.join(', ') : null,
      billed,
      insurance_paid: fromCents(sumCents(lineItems.map((li) => (rank === 'primary' ? li.ins1_paid : li.ins2_paid)))),
    });
  }

  if (lineItems.length === 0 && postings.length === 0 && payments.length === 0)
    return { claims, reconciliation: null, unmapped };

  const charges = sumCents(lineItems.map((li) => li.billed ?? li.price));
  const insurancePaid = sumCents(lineItems.map((li) => li.ins_total));
  const insurancePosted = sumCents(postings.map((p) => p.ins_paid));
  const patientPaid = sumCents(lineItems.map((li) => li.pt_paid));
  let patientPosted = 0n;
  let refunds = 0n;
  for (const p of payments) {
    const amount = toCents(p.amount);
    const abs = amount < 0n ? -amount : amount;
    if (isRefund(p)) {
      refunds += abs;
      patientPosted -= abs;
    } else patientPosted += amount;
  }
  const adjustments = sumCents(lineItems.map((li) => li.adjustment));
  const adjustmentsPosted = sumCents(postings.map((p) => p.adjustment));
  const balance = sumCents(lineItems.flatMap((li) => [li.balance_ins, li.balance_pt]));
  const expectedBalance = charges - insurancePaid - patientPaid - adjustments;

  // Each reason names the two figures that disagree, so staff can act without opening DrChrono first.
  const reasons: string[] = [];
  if (lineItems.some((li) => toCents(li.billed ?? li.price) < 0n)) reasons.push('negative charge on a line item');
  if (postings.some((p) => p.line_item !== null && !liveLineItems.has(p.line_item)))
    reasons.push('insurance posting for a line item not synced yet or deleted');
  if (payments.some((p) => p.line_item !== null && !liveLineItems.has(p.line_item)))
    reasons.push('patient payment for a line item not synced yet or deleted');
  if (insurancePaid !== insurancePosted)
    reasons.push(`insurance paid on line items ${fromCents(insurancePaid)} ≠ posted ${fromCents(insurancePosted)}`);
  if (patientPaid !== patientPosted)
    reasons.push(`patient paid on line items ${fromCents(patientPaid)} ≠ payments ${fromCents(patientPosted)}`);
  if (adjustments !== adjustmentsPosted)
    reasons.push(`adjustments on line items ${fromCents(adjustments)} ≠ posted ${fromCents(adjustmentsPosted)}`);
  if (balance !== expectedBalance)
    reasons.push(`balance ${fromCents(balance)} ≠ charges − paid − adjustments ${fromCents(expectedBalance)}`);

  const serviceDates = lineItems
    .map((li) => li.service_date)
    .filter((d): d is string => d !== null)
    .sort();
  return {
    claims,
    unmapped,
    reconciliation: {
      appointment: a.drchrono_id,
      patient: a.patient,
      service_date: serviceDates[0] ?? null,
      line_item_count: lineItems.length,
      charges: fromCents(charges),
      insurance_paid: fromCents(insurancePaid),
      insurance_posted: fromCents(insurancePosted),
      patient_paid: fromCents(patientPaid),
      patient_posted: fromCents(patientPosted),
      refunds: fromCents(refunds),
      adjustments: fromCents(adjustments),
      adjustments_posted: fromCents(adjustmentsPosted),
      balance: fromCents(balance),
      claim_status: worstClaimStatus(claims.map((c) => c.status)),
      needs_review: reasons.length > 0,
      review_reason: reasons.length > 0 ? reasons.join('; ') : null,
    },
  };
}

/** Reads the live billing rows of `ids` (postings and payments also through their line item). */
async function loadBilling(tx: TransactionSql, ids: readonly string[]): Promise<AppointmentBilling[]> {
  const list = ids as string[];
  const appointments = await tx<AppointmentRow[]>`
    SELECT drchrono_id, patient, billing_status, ins1_status, ins2_status,
           raw->>'primary_insurer_name' AS primary_name, raw->>'secondary_insurer_name' AS secondary_name
    FROM appointments WHERE drchrono_id = ANY(${list})`;
  const lineItems = await tx<LineItemRow[]>`
    SELECT drchrono_id, appointment, billing_status, denied_flag, billed::text, price::text, ins1_paid::text,
           ins2_paid::text, ins_total::text, pt_paid::text, adjustment::text, balance_ins::text, balance_pt::text,
           service_date::text
    FROM line_items WHERE appointment = ANY(${list}) AND deleted_at IS NULL`;
  // Two index-driven halves instead of one OR (which would scan every posting): rows naming the appointment, and rows
  // without one that reach it through their line item.
  const postings = await tx<PostingRow[]>`
    SELECT t.drchrono_id, t.appointment, t.line_item, t.ins_name, t.ins_paid::text, t.adjustment::text,
           t.adjustment_group_code, t.adjustment_reason, t.claim_status, t.posted_date::text
    FROM insurance_transactions t WHERE t.deleted_at IS NULL AND t.appointment = ANY(${list})
    UNION ALL
    SELECT t.drchrono_id, li.appointment, t.line_item, t.ins_name, t.ins_paid::text, t.adjustment::text,
           t.adjustment_group_code, t.adjustment_reason, t.claim_status, t.posted_date::text
    FROM line_items li JOIN insurance_transactions t ON t.line_item = li.drchrono_id
    WHERE li.appointment = ANY(${list}) AND t.appointment IS NULL AND t.deleted_at IS NULL`;
  const payments = await tx<PaymentRow[]>`
    SELECT p.appointment, p.line_item, p.amount::text, p.payment_transaction_type
    FROM patient_payments p WHERE p.deleted_at IS NULL AND p.appointment = ANY(${list})
    UNION ALL
    SELECT li.appointment, p.line_item, p.amount::text, p.payment_transaction_type
    FROM line_items li JOIN patient_payments p ON p.line_item = li.drchrono_id
    WHERE li.appointment = ANY(${list}) AND p.appointment IS NULL AND p.deleted_at IS NULL`;
  const group = <T extends { appointment: string }>(rows: readonly T[]) => {
    const by = new Map<string, T[]>();
    for (const r of rows) by.set(r.appointment, [...(by.get(r.appointment) ?? []), r]);
    return by;
  };
  const items = group(lineItems);
  const posted = group(postings);
  const paid = group(payments);
  return appointments.map((appointment) => ({
    appointment,
    lineItems: items.get(appointment.drchrono_id) ?? [],
    postings: posted.get(appointment.drchrono_id) ?? [],
    payments: paid.get(appointment.drchrono_id) ?? [],
  }));
}

const UPSERT_CLAIMS = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(claim_key text, appointment text, patient text, payer_rank text,
    payer_name text, status text, status_source text, denial_reasons text, billed numeric, insurance_paid numeric)
), old AS (
  SELECT claim_key, status, deleted_at FROM claim_statuses WHERE claim_key IN (SELECT claim_key FROM input)
), upserted AS (
  INSERT INTO claim_statuses AS t (claim_key, appointment, patient, payer_rank, payer_name, status, status_source,
    denial_reasons, billed, insurance_paid)
  SELECT claim_key, appointment, patient, payer_rank, payer_name, status, status_source, denial_reasons, billed,
    insurance_paid FROM input
  ON CONFLICT (claim_key) DO UPDATE SET patient = excluded.patient, payer_name = excluded.payer_name,
    status = excluded.status, status_source = excluded.status_source, denial_reasons = excluded.denial_reasons,
    billed = excluded.billed, insurance_paid = excluded.insurance_paid, deleted_at = NULL,
    status_changed_at = CASE WHEN t.status IS DISTINCT FROM excluded.status THEN now() ELSE t.status_changed_at END
  WHERE (t.patient, t.payer_name, t.status, t.status_source, t.denial_reasons, t.billed, t.insurance_paid, t.deleted_at)
    IS DISTINCT FROM (excluded.patient, excluded.payer_name, excluded.status, excluded.status_source,
      excluded.denial_reasons, excluded.billed, excluded.insurance_paid, NULL::timestamptz)
  RETURNING t.id, t.claim_key, t.status, t.status_source
), history AS (
  INSERT INTO claim_status_history (claim_key, from_status, to_status, status_source)
  SELECT u.claim_key, o.status, u.status, u.status_source FROM upserted u LEFT JOIN old o USING (claim_key)
  WHERE o.status IS DISTINCT FROM u.status OR o.deleted_at IS NOT NULL
), announced AS (
  INSERT INTO outbox (table_name, row_id, op) SELECT 'claim_statuses', id, 'upsert' FROM upserted
)
SELECT count(*)::int AS n FROM upserted`;

const RECONCILIATION_COLUMNS = [
  ['patient', 'text'],
  ['service_date', 'date'],
  ['line_item_count', 'integer'],
  ['charges', 'numeric'],
  ['insurance_paid', 'numeric'],
  ['insurance_posted', 'numeric'],
  ['patient_paid', 'numeric'],
  ['patient_posted', 'numeric'],
  ['refunds', 'numeric'],
  ['adjustments', 'numeric'],
  ['adjustments_posted', 'numeric'],
  ['balance', 'numeric'],
  ['claim_status', 'text'],
  ['needs_review', 'boolean'],
  ['review_reason', 'text'],
] as const;
const columnNames = RECONCILIATION_COLUMNS.map(([c]) => c);
const UPSERT_RECONCILIATIONS = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(appointment text, ${RECONCILIATION_COLUMNS.map(([c, t]) => `${c} ${t}`).join(', ')})
), upserted AS (
  INSERT INTO billing_reconciliations AS t (appointment, ${columnNames.join(', ')})
  SELECT appointment, ${columnNames.join(', ')} FROM input
  ON CONFLICT (appointment) DO UPDATE SET ${columnNames.map((c) => `${c} = excluded.${c}`).join(', ')}, deleted_at = NULL
  WHERE (${columnNames.map((c) => `t.${c}`).join(', ')}, t.deleted_at)
    IS DISTINCT FROM (${columnNames.map((c) => `excluded.${c}`).join(', ')}, NULL::timestamptz)
  RETURNING t.id
), announced AS (
  INSERT INTO outbox (table_name, row_id, op) SELECT 'billing_reconciliations', id, 'upsert' FROM upserted
)
SELECT count(*)::int AS n FROM upserted`;

/** Soft-deletes derived rows of `appointments` whose key is not in `keep`, with their outbox rows. */
async function retire(
  tx: TransactionSql,
  table: 'claim_statuses' | 'billing_reconciliations',
  key: 'claim_key' | 'appointment',
  appointments: readonly string[],
  keep: readonly string[],
): Promise<number> {
  const [row] = await dbSpan(`retire ${table}`, { operation: 'UPDATE', table }, () =>
    tx.unsafe<{ n: number }[]>(
      `WITH gone AS (
       UPDATE ${table} SET deleted_at = now()
       WHERE appointment = ANY($1::text[]) AND deleted_at IS NULL AND NOT (${key} = ANY($2::text[]))
       RETURNING id
     ), announced AS (INSERT INTO outbox (table_name, row_id, op) SELECT '${table}', id, 'delete' FROM gone)
     SELECT count(*)::int AS n FROM gone`,
      [appointments as string[], keep as string[]],
      { prepare: true },
    ),
  );
  return row?.n ?? 0;
}

export interface RecomputeResult {
  /** claim_statuses and billing_reconciliations rows written or retired. */
  readonly changed: number;
}

/**
 * Recomputes the claims and reconciliations of `appointmentIds` in the caller's transaction. Takes a
 * transaction-scoped advisory lock per appointment (sorted, so concurrent recomputes never deadlock) before
 * reading: two transactions that changed the same appointment's billing then recompute one after the other, and the
 * second sees the first's rows — without it each could write figures missing the other's change.
 */
export async function recomputeBilling(
  tx: TransactionSql,
  appointmentIds: readonly string[],
  warnings?: PgValueWarnings,
): Promise<RecomputeResult> {
  const ids = [...new Set(appointmentIds.filter((id) => id !== ''))].sort();
  if (ids.length === 0) return { changed: 0 };
  await tx`SELECT pg_advisory_xact_lock(hashtext('billing:' || id)) FROM (SELECT id FROM unnest(${ids}::text[]) AS id ORDER BY id) AS sorted`;
  const derived = (await loadBilling(tx, ids)).map(deriveAppointmentBilling);
  const claims = derived.flatMap((d) => d.claims);
  const reconciliations = derived.flatMap((d) => (d.reconciliation ? [d.reconciliation] : []));
  for (const d of derived) for (const u of d.unmapped) warnings?.add('claim_statuses', u.column, 'unmapped_status');
  let changed = 0;
  if (claims.length > 0)
    changed +=
      (
        await dbSpan('upsert claim_statuses', { operation: 'INSERT', table: 'claim_statuses' }, () =>
          tx.unsafe<{ n: number }[]>(UPSERT_CLAIMS, [JSON.stringify(claims)], { prepare: true }),
        )
      )[0]?.n ?? 0;
  if (reconciliations.length > 0)
    changed +=
      (
        await dbSpan('upsert billing_reconciliations', { operation: 'INSERT', table: 'billing_reconciliations' }, () =>
          tx.unsafe<{ n: number }[]>(UPSERT_RECONCILIATIONS, [JSON.stringify(reconciliations)], { prepare: true }),
        )
      )[0]?.n ?? 0;
  changed += await retire(
    tx,
    'claim_statuses',
    'claim_key',
    ids,
    claims.map((c) => c.claim_key),
  );
  changed += await retire(
    tx,
    'billing_reconciliations',
    'appointment',
    ids,
    reconciliations.map((r) => r.appointment),
  );
  return { changed };
}

/** Billing tables (by SQL name) whose changes move an appointment's figures, and how to find that appointment. */
const APPOINTMENT_OF: Readonly<Record<string, string>> = {
  appointments: `SELECT drchrono_id AS appointment FROM appointments WHERE id = ANY($1::bigint[])`,
  line_items: `SELECT appointment FROM line_items WHERE id = ANY($1::bigint[]) AND appointment IS NOT NULL`,
  insurance_transactions: `SELECT coalesce(t.appointment, li.appointment) AS appointment FROM insurance_transactions t
    LEFT JOIN line_items li ON li.drchrono_id = t.line_item WHERE t.id = ANY($1::bigint[])`,
  patient_payments: `SELECT coalesce(p.appointment, li.appointment) AS appointment FROM patient_payments p
    LEFT JOIN line_items li ON li.drchrono_id = p.line_item WHERE p.id = ANY($1::bigint[])`,
};

/** Whether changes to `table` can move billing figures. */
export const affectsBilling = (table: string): boolean => Object.hasOwn(APPOINTMENT_OF, table);

/**
 * Recomputes the appointments whose billing the changed rows of `table` touch (a posting or payment without an
 * appointment reaches it through its line item; one with neither waits, stored, until its line item arrives).
 */
export async function recomputeBillingFor(
  tx: TransactionSql,
  table: string,
  rowIds: readonly number[],
  warnings?: PgValueWarnings,
): Promise<RecomputeResult> {
  if (!affectsBilling(table) || rowIds.length === 0) return { changed: 0 };
  const rows = await tx.unsafe<{ appointment: string | null }[]>(APPOINTMENT_OF[table]!, [rowIds as number[]], {
    prepare: true,
  });
  return recomputeBilling(
    tx,
    rows.map((r) => r.appointment).filter((a): a is string => a !== null),
    warnings,
  );
}
