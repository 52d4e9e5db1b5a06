import type { Sql, TransactionSql } from 'postgres';
import { z } from 'zod';
import { patientStatuses } from '../../schema/drchrono.js';
import { hasUnstorableChars, isPgInstant, jsonTooDeepAt, MAX_JSON_DEPTH, PgValueWarnings } from '../db/pg-values.js';
import type { Logger } from '../observability/logger.js';
import { InvalidTimestampError, practiceLocalToUtc } from '../time.js';
import { inChangeTransaction } from '../db/change-transaction.js';
import { applyRecords, deleteRecords, type AfterApplyHook } from './apply.js';
import { applyLabRecords, deleteLabRecords, requestLabOrderRefresh } from './lab-sync.js';
import type { DrChronoRecord, DrChronoResource } from './types.js';
import { dbSpan } from '../observability/spans.js';

type Action = 'upsert' | 'delete';
/** What a webhook can change: the mirrored resources and lab orders (tests and results have no events). */
type WebhookResource = DrChronoResource | 'lab_orders';

/**
 * Events that change the mirror, and what they do. Other events (tasks, flags, vaccines) are acknowledged and
 * ignored until their tables exist. DrChrono sends no create/modify events for transactions or patient payments:
 * the incremental sync polls them every cycle. LAB_ORDER_CREATE|MODIFY apply the order and queue the re-read of its
 * tests and results for the next incremental cycle (lab_order_refresh); LAB_ORDER_DELETE soft-deletes the order with
 * its tests and results and closes their open review items.
 */
export const webhookEvents: Record<string, { resource: WebhookResource; action: Action }> = {
  PATIENT_CREATE: { resource: 'patients', action: 'upsert' },
  PATIENT_MODIFY: { resource: 'patients', action: 'upsert' },
  APPOINTMENT_CREATE: { resource: 'appointments', action: 'upsert' },
  APPOINTMENT_MODIFY: { resource: 'appointments', action: 'upsert' },
  APPOINTMENT_DELETE: { resource: 'appointments', action: 'delete' },
  CLINICAL_NOTE_LOCK: { resource: 'clinical_notes', action: 'upsert' },
  CLINICAL_NOTE_UNLOCK: { resource: 'clinical_notes', action: 'upsert' },
  PATIENT_MEDICATION_CREATE: { resource: 'medications', action: 'upsert' },
  PATIENT_MEDICATION_MODIFY: { resource: 'medications', action: 'upsert' },
  PATIENT_PROBLEM_CREATE: { resource: 'problems', action: 'upsert' },
  PATIENT_PROBLEM_MODIFY: { resource: 'problems', action: 'upsert' },
  PATIENT_ALLERGY_CREATE: { resource: 'allergies', action: 'upsert' },
  PATIENT_ALLERGY_MODIFY: { resource: 'allergies', action: 'upsert' },
  LINE_ITEM_CREATE: { resource: 'line_items', action: 'upsert' },
  LINE_ITEM_MODIFY: { resource: 'line_items', action: 'upsert' },
  LINE_ITEM_DELETE: { resource: 'line_items', action: 'delete' },
  LINE_ITEM_TRANSACTION_DELETE: { resource: 'transactions', action: 'delete' },
  CASH_PAYMENT_DELETE: { resource: 'patient_payments', action: 'delete' },
  LAB_ORDER_CREATE: { resource: 'lab_orders', action: 'upsert' },
  LAB_ORDER_MODIFY: { resource: 'lab_orders', action: 'upsert' },
  LAB_ORDER_DELETE: { resource: 'lab_orders', action: 'delete' },
};

// An id is a key: one with NUL or a lone surrogate cannot be stored as itself, so it is refused, not cleaned.
const id = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .min(1)
    .max(64)
    .refine((s) => !hasUnstorableChars(s)),
]);
const ref = id.nullable().optional();
const localTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$/);
const dateOrBlank = z
  .union([z.string().regex(/^\d{4}-\d{2}-\d{2}$/), z.literal('')])
  .nullable()
  .optional();
const base = { id, updated_at: localTime };
// Amounts arrive as JSON numbers or decimal strings; a string that is not a decimal is stored as null with a warning
// (pg-values), like any other unstorable value, so only the type is checked here.
const amount = z
  .union([z.number(), z.string().max(32)])
  .nullable()
  .optional();

/** Shapes of the fields we map, per resource; other fields pass through into `raw`. */
const objectSchemas: Record<WebhookResource, z.ZodType> = {
  doctors: z.looseObject({ id }),
  patients: z.looseObject({
    ...base,
    doctor: ref,
    date_of_birth: dateOrBlank,
    patient_status: z.enum(patientStatuses).nullable().optional(),
  }),
  appointments: z.looseObject({
    ...base,
    patient: ref,
    doctor: ref,
    scheduled_time: localTime.nullable().optional(),
    duration: z.number().int().nullable().optional(),
    deleted_flag: z.boolean().optional(),
  }),
  // DrChrono's schema gives a note no `locked` (the lock is `signee.locked_by`) and no `updated_at`.
  clinical_notes: z.looseObject({
    id,
    updated_at: localTime.optional(),
    appointment: ref,
    patient: ref,
    doctor: ref,
    locked: z.boolean().optional(),
    signee: z.looseObject({ locked_by: ref }).nullable().optional(),
  }),
  // DrChrono's schema lists no `updated_at` for medications, problems and allergies (sandbox/drchrono/README.md):
  // accepted when present (and then it must be a real time), never required, or every real delivery would be a 400.
  medications: z.looseObject({ id, updated_at: localTime.optional(), patient: id, doctor: ref }),
  problems: z.looseObject({
    id,
    updated_at: localTime.optional(),
    patient: id,
    doctor: ref,
    icd_version: z.union([z.number(), z.string()]).nullable().optional(),
  }),
  allergies: z.looseObject({ id, updated_at: localTime.optional(), patient: id, doctor: ref }),
  line_items: z.looseObject({
    ...base,
    appointment: ref,
    patient: ref,
    doctor: ref,
    price: amount,
    billed: amount,
    ins_total: amount,
    pt_paid: amount,
    adjustment: amount,
    balance_ins: amount,
    balance_pt: amount,
    denied_flag: z.boolean().nullable().optional(),
    service_date: dateOrBlank,
  }),
  transactions: z.looseObject({ ...base, line_item: ref, appointment: ref, ins_paid: amount, adjustment: amount }),
  patient_payments: z.looseObject({ ...base, patient: id, appointment: ref, line_item: ref, amount }),
  // Lab orders have no `updated_at` (changes are found by content); `timestamp` is the submission time.
  lab_orders: z.looseObject({
    id,
    patient: ref,
    doctor: ref,
    status: z.string().max(8).nullable().optional(),
    timestamp: localTime.nullable().optional(),
  }),
};

/**
 * Keys DrChrono's serializer always writes for each resource and the others lack. The event header is not signed,
 * so a captured body could be replayed under another resource's event; requiring these keys makes a patient body
 * sent as `APPOINTMENT_MODIFY` a 400 instead of a bogus appointment.
 */
const identifyingKeys: Record<WebhookResource, readonly string[]> = {
  doctors: [],
  patients: ['first_name', 'last_name', 'gender'],
  appointments: ['scheduled_time', 'exam_room', 'office'],
  clinical_notes: ['clinical_note_sections'],
  medications: ['name', 'dosage_units'],
  problems: ['icd_code'],
  allergies: ['reaction'],
  line_items: ['code', 'procedure_type'],
  transactions: ['ins_paid', 'claim_status'],
  patient_payments: ['amount', 'payment_method'],
  lab_orders: ['requisition_id', 'sublab'],
};

const envelope = z.object({ receiver: z.unknown().optional(), object: z.record(z.string(), z.unknown()) });

/** The delivery's JSON does not have the documented shape; `field` is the path, never the value. */
export class WebhookPayloadError extends Error {
  override name = 'WebhookPayloadError';
  constructor(readonly field: string) {
    super(`invalid field: ${field}`);
  }
}

export interface WebhookDeps {
  readonly sql: Sql;
  readonly logger: Logger;
  readonly timeZone: string;
  readonly afterApply?: AfterApplyHook;
}

export interface WebhookDelivery {
  readonly event: string;
  readonly deliveryId: string;
  /** Parsed JSON body. */
  readonly body: unknown;
  readonly requestId?: string;
}

export type WebhookOutcome =
  | { status: 'applied'; resource: WebhookResource; changed: number }
  | { status: 'duplicate' }
  | { status: 'ignored'; reason: 'event not handled' | 'delete of a record the body shows alive' };

const deletedObject = z.looseObject({ id });

/** Refuses a body nested deeper than MAX_JSON_DEPTH anywhere (it could not be stored), naming where; no DB work yet. */
function assertStorableDepth(body: unknown): void {
  const at = jsonTooDeepAt(body, MAX_JSON_DEPTH);
  if (at) throw new WebhookPayloadError(at.join('.') || '(root)');
}

/** `updated_at` is the version the upsert compares ("older never overwrites newer"): it must be a real instant. */
function isVersionTime(local: unknown, timeZone: string): boolean {
  if (typeof local !== 'string') return false;
  try {
    return isPgInstant(practiceLocalToUtc(local, timeZone));
  } catch (error) {
    if (error instanceof InvalidTimestampError) return false;
    throw error;
  }
}

function validate(resource: WebhookResource, action: Action, body: unknown, timeZone: string): DrChronoRecord {
  const outer = envelope.safeParse(body);
  if (!outer.success) throw new WebhookPayloadError(outer.error.issues[0]?.path.join('.') || 'object');
  const inner = (action === 'delete' ? deletedObject : objectSchemas[resource]).safeParse(outer.data.object);
  if (!inner.success) throw new WebhookPayloadError(['object', ...(inner.error.issues[0]?.path ?? [])].join('.'));
  const record = inner.data as DrChronoRecord;
  if (action === 'upsert') {
    const missing = identifyingKeys[resource].find((key) => !Object.hasOwn(outer.data.object, key));
    if (missing) throw new WebhookPayloadError(`object.${missing}`);
    if ('updated_at' in record && !isVersionTime(record['updated_at'], timeZone))
      throw new WebhookPayloadError('object.updated_at');
  }
  return record;
}

/**
 * The delete rule: a delete event is decided by its body, not by the unsigned event header. A body that carries
 * the record's `deleted_flag` and shows it is not `true` is a live record (e.g. a captured MODIFY body replayed as
 * DELETE under a new delivery id), so nothing is deleted. A body with only the id, or with `deleted_flag: true`,
 * deletes.
 */
export function bodyShowsAlive(record: DrChronoRecord): boolean {
  return Object.hasOwn(record, 'deleted_flag') && record['deleted_flag'] !== true;
}

const deliveryInsert = { operation: 'INSERT', table: 'webhook_deliveries' } as const;

/**
 * Applies one signed DrChrono delivery: the delivery id, the mirror change and its outbox rows commit in one
 * transaction, so a replay is a no-op and a failure leaves nothing behind (DrChrono retries). No API calls.
 */
export async function receiveDrChronoWebhook(deps: WebhookDeps, delivery: WebhookDelivery): Promise<WebhookOutcome> {
  assertStorableDepth(delivery.body);
  const handled = webhookEvents[delivery.event];
  if (!handled) {
    await dbSpan(
      'webhook delivery insert',
      deliveryInsert,
      () => deps.sql`INSERT INTO webhook_deliveries (source, delivery_id, event, status)
                   VALUES ('drchrono', ${delivery.deliveryId}, ${delivery.event.slice(0, 64)}, 'ignored') ON CONFLICT DO NOTHING`,
    );
    deps.logger.info(
      { event: delivery.event.slice(0, 64), deliveryId: delivery.deliveryId },
      'webhook event not handled; acknowledged',
    );
    return { status: 'ignored', reason: 'event not handled' };
  }
  const record = validate(handled.resource, handled.action, delivery.body, deps.timeZone);
  if (handled.action === 'delete' && bodyShowsAlive(record)) {
    await dbSpan(
      'webhook delivery insert',
      deliveryInsert,
      () => deps.sql`INSERT INTO webhook_deliveries (source, delivery_id, event, status)
                   VALUES ('drchrono', ${delivery.deliveryId}, ${delivery.event}, 'ignored') ON CONFLICT DO NOTHING`,
    );
    deps.logger.warn(
      { event: delivery.event, deliveryId: delivery.deliveryId, resource: handled.resource },
      'delete event refused: the body shows the record is not deleted',
    );
    return { status: 'ignored', reason: 'delete of a record the body shows alive' };
  }
  let warnings = new PgValueWarnings();
  const outcome = await inChangeTransaction(
    deps.sql,
    { actor: 'webhook:drchrono', requestId: delivery.requestId },
    async (tx) => {
      warnings = new PgValueWarnings(); // a retried transaction counts afresh
      const [fresh] = await dbSpan(
        'webhook delivery insert',
        deliveryInsert,
        () => tx`INSERT INTO webhook_deliveries (source, delivery_id, event, status)
                             VALUES ('drchrono', ${delivery.deliveryId}, ${delivery.event}, 'applied')
                             ON CONFLICT (source, delivery_id) DO NOTHING RETURNING id`,
      );
      if (!fresh) return { status: 'duplicate' } as const;
      const resource = handled.resource;
      const changed =
        resource === 'lab_orders'
          ? await applyLabOrderEvent(tx, handled.action, record, { timeZone: deps.timeZone, warnings })
          : handled.action === 'delete'
            ? await deleteRecords(tx, resource, [String(record.id)])
            : await applyRecords(tx, resource, [record], {
                timeZone: deps.timeZone,
                afterApply: deps.afterApply,
                warnings,
              });
      return { status: 'applied', resource: handled.resource, changed: changed.length } as const;
    },
  );
  warnings.log(deps.logger, { source: 'drchrono-webhook', deliveryId: delivery.deliveryId });
  return outcome;
}

/**
 * A LAB_ORDER_* delivery: the order is applied (or soft-deleted with its tests and results) now; the re-read of its
 * tests and results is queued for the next incremental cycle, which makes the DrChrono calls within the call budget.
 */
async function applyLabOrderEvent(
  tx: TransactionSql,
  action: Action,
  record: DrChronoRecord,
  options: { timeZone: string; warnings: PgValueWarnings },
) {
  const id = String(record.id);
  if (action === 'delete') return deleteLabRecords(tx, 'lab_orders', [id]);
  const changed = await applyLabRecords(tx, 'lab_orders', [record], options);
  await requestLabOrderRefresh(tx, [id]);
  return changed;
}
