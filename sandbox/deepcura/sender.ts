import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import type { GridhookEnvelope } from '../../sync/deepcura/decrypt.js';
import type { GridhookPayloadInput } from '../../sync/deepcura/payload.js';
import type { DrChronoRecord } from '../synthetic/dataset.js';

// A stand-in for Deep Cura's Gridhook sender (contract v1, docs/deepcura-contract.md), for `npm start` and tests.
// It implements the envelope on its own (sandbox may import sync types only), so a test that sends with it and
// receives with sync/deepcura checks two independent implementations of the same contract.

/** A note as the sender builds it: everything but `sent_at`, which is stamped at send time. */
export type DeepcuraNoteInput = Omit<GridhookPayloadInput, 'sent_at'> & { readonly sent_at?: string };

export interface DeepcuraSenderOptions {
  /** The receiver's URL (our `POST /webhooks/deepcura`). */
  readonly url: string;
  /** The 32-byte shared secret. */
  readonly key: Buffer;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Stamps `sent_at`; epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
}

export interface GridhookDelivery {
  /** The exact JSON body. */
  readonly body: string;
  readonly headers: Record<string, string>;
  /** The plaintext that was encrypted (with `sent_at`). */
  readonly payload: GridhookPayloadInput;
}

export interface GridhookSendResult {
  readonly status: number;
  readonly responseBody: string;
}

export interface DeepcuraSender {
  /** Encrypts a note into a delivery without sending it (`sent_at` from the clock unless the note has one). */
  build(note: DeepcuraNoteInput, options?: { sentAt?: Date; iv?: Buffer }): GridhookDelivery;
  /** Builds and POSTs a note. */
  send(note: DeepcuraNoteInput, options?: { sentAt?: Date }): Promise<GridhookSendResult>;
  /** POSTs a pre-built (possibly tampered) delivery as is — re-sending one is a replay. */
  sendRaw(delivery: Pick<GridhookDelivery, 'body' | 'headers'>): Promise<GridhookSendResult>;
}

/** Encrypts a payload as Gridhook v1: AES-256-GCM, random 12-byte iv, 16-byte tag, parts in standard base64. */
export function sealGridhook(payload: unknown, key: Buffer, iv: Buffer = randomBytes(12)): GridhookEnvelope {
  if (key.length !== 32) throw new Error(`sealGridhook: key must be 32 bytes; got ${key.length}`);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  return {
    v: 1,
    iv: iv.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

/** A Gridhook sender that behaves like Deep Cura's (as far as our contract describes it). */
export function createDeepcuraSender(options: DeepcuraSenderOptions): DeepcuraSender {
  if (!Buffer.isBuffer(options.key) || options.key.length !== 32)
    throw new Error('createDeepcuraSender: key must be a 32-byte Buffer');
  new URL(options.url); // a malformed URL fails at setup, not at first send
  const doFetch = options.fetch ?? fetch;
  const clock = options.clock ?? Date.now;

  const build: DeepcuraSender['build'] = (note, buildOptions = {}) => {
    const payload: GridhookPayloadInput = {
      ...note,
      sent_at: buildOptions.sentAt?.toISOString() ?? note.sent_at ?? new Date(clock()).toISOString(),
    };
    const body = JSON.stringify(sealGridhook(payload, options.key, buildOptions.iv));
    return { body, payload, headers: { 'Content-Type': 'application/json' } };
  };
  const sendRaw: DeepcuraSender['sendRaw'] = async (delivery) => {
    const response = await doFetch(options.url, { method: 'POST', headers: delivery.headers, body: delivery.body });
    return { status: response.status, responseBody: await response.text() };
  };
  return { build, sendRaw, send: (note, sendOptions) => sendRaw(build(note, sendOptions)) };
}

export interface SyntheticNoteOptions {
  /** The DrChrono patient (a record with `id`, or its id). */
  readonly patient: DrChronoRecord | string | number;
  /** The DrChrono appointment (a record with `id` and `scheduled_time`, or its id), if the session had one. */
  readonly appointment?: DrChronoRecord | string | number | null;
  /** Practice-local visit date `YYYY-MM-DD`. @default the appointment's `scheduled_time` date, else today (UTC) */
  readonly visitDate?: string;
  /** @default a stable id derived from patient, appointment and visit date */
  readonly noteId?: string;
  /** @default 'low' */
  readonly riskLevel?: 'none' | 'low' | 'moderate' | 'high' | 'imminent';
  /** @default the clock's now */
  readonly createdAt?: Date;
}

const idOf = (value: DrChronoRecord | string | number): string =>
  typeof value === 'object' ? String(value['id']) : String(value);

/**
 * A clearly synthetic scribe note for a given DrChrono patient/appointment. Every text field says it is synthetic;
 * nothing in it describes a real person. The same inputs give the same note id (so re-sending is a new version).
 */
export function buildSyntheticDeepcuraNote(options: SyntheticNoteOptions): DeepcuraNoteInput {
  const patientId = idOf(options.patient);
  const appointment = options.appointment ?? null;
  const appointmentId = appointment === null ? null : idOf(appointment);
  const scheduled = typeof appointment === 'object' && appointment !== null ? appointment['scheduled_time'] : undefined;
  const visitDate =
    options.visitDate ??
    (typeof scheduled === 'string'
      ? scheduled.slice(0, 10)
      : (options.createdAt ?? new Date()).toISOString().slice(0, 10));
  const noteId =
    options.noteId ??
    `dc-${createHash('sha256')
      .update(`${patientId}|${appointmentId ?? ''}|${visitDate}`)
      .digest('hex')
      .slice(0, 16)}`;
  const tag = `[SYNTHETIC TEST NOTE ${noteId} — not a real patient]`;
  return {
    note_id: noteId,
    appointment_id: appointmentId,
    patient_id: patientId,
    visit_date: visitDate,
    transcript: `${tag} Clinician: How have things been since the last visit? Patient: Synthetic reply for testing only.`,
    soap: {
      subjective: `${tag} Synthetic subjective: reports stable mood for testing.`,
      objective: `${tag} Synthetic objective: placeholder observations.`,
      assessment: `${tag} Synthetic assessment: fixture data only.`,
      plan: `${tag} Synthetic plan: continue test fixture; follow up in the sandbox.`,
    },
    icd10_suggestions: [{ code: 'Z00.00', description: 'Synthetic suggestion (test data)', confidence: 0.5 }],
    cpt_suggestions: ['99213'],
    medication_mentions: [{ name: 'synthetic-placebo' }],
    risk_assessment: { level: options.riskLevel ?? 'low', factors: ['synthetic factor (test data)'] },
    created_at: (options.createdAt ?? new Date()).toISOString(),
  };
}
