// The contract between the DrChrono client (sync/drchrono/client.ts) and its users (sync engine, webhooks).

export {
  drchronoResources,
  drchronoBillingResources,
  drchronoLabResources,
} from '../../contract/drchrono-resources.js';
export type {
  DrChronoResource,
  DrChronoBillingLog,
  DrChronoEndpoint,
  DrChronoLabResource,
} from '../../contract/drchrono-resources.js';
import type { DrChronoEndpoint, DrChronoResource } from '../../contract/drchrono-resources.js';

/**
 * Resources DrChrono filters by `since`; the others are refreshed per patient and in the deep reconcile. Transactions
 * and patient payments have no create/modify webhook, so `since` polling every cycle is how their changes arrive.
 */
export const sinceResources: readonly DrChronoResource[] = [
  'patients',
  'appointments',
  'clinical_notes',
  'line_items',
  'transactions',
  'patient_payments',
];

/** A DrChrono object as the REST API (and webhook deliveries) serialise it. */
export type DrChronoRecord = Record<string, unknown> & { id: string | number };

/**
 * Whose share of the hourly call budget a call draws from (sync/drchrono/budget.ts): `background` (full and deep
 * walks) only what the cycles and webhooks leave; `sync` (the incremental cycles) all but the `webhook` reserve;
 * `webhook` (work a webhook triggers) the whole hour.
 */
export type CallPriority = 'sync' | 'webhook' | 'background';

export type { DrChronoCallKind } from '../../schema/drchrono-api.js';
import type { DrChronoCallKind } from '../../schema/drchrono-api.js';

export interface DrChronoPage {
  readonly results: DrChronoRecord[];
  /** Absolute URL of the next page as DrChrono gave it, or null on the last page. */
  readonly next: string | null;
}

export interface ListOptions {
  readonly priority?: CallPriority;
  /** What the call is spent on, counted per hour for `platform budget`. @default `webhook` or `other` by priority */
  readonly budgetKind?: DrChronoCallKind;
  /** Resume a walk from a `next` URL saved earlier instead of starting at page one. */
  readonly startUrl?: string;
  readonly signal?: AbortSignal;
  /** Correlates access_log rows with the job or request. */
  readonly requestId?: string;
}

export interface DrChronoClient {
  /** Streams the pages of `/api/<resource>?<query>`, following `next` as given; one API call per page. */
  pages(resource: DrChronoEndpoint, query: Record<string, string>, options?: ListOptions): AsyncGenerator<DrChronoPage>;
  /** `GET /api/<resource>/<id>`; null when DrChrono answers 404. */
  get(resource: DrChronoResource, id: string, options?: Omit<ListOptions, 'startUrl'>): Promise<DrChronoRecord | null>;
}
