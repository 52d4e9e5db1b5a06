import type { claimStatusValues } from '../../schema/billing.js';

// How a claim status is derived. DrChrono has no claim resource: what it knows about a claim is spread over the
// appointment's `ins1_status`/`ins2_status`/`billing_status`, the line items' `billing_status`/`denied_flag`, and the
// insurance postings' `claim_status` (X12 835 CLP02-like codes). The tables below are THE mapping (the README prints
// them); `deriveClaimStatus` applies them in one documented order.

export type ClaimStatus = (typeof claimStatusValues)[number];

/** What a status text says about the claim; `postings` = "look at the postings" (e.g. `ERA Received`). */
type TextVerdict = ClaimStatus | 'postings';

/**
 * Insurance status text (appointment `ins1_status`/`ins2_status`, else the line items' `billing_status`) → status.
 * First match wins; matching ignores case and surrounding blanks. Clearinghouse names vary (`In Process Waystar`,
 * `Rejected Emdeon`…), hence the prefixes.
 */
export const insuranceStatusRules: readonly { readonly pattern: RegExp; readonly verdict: TextVerdict }[] = [
  { pattern: /^$|^incomplete information$/, verdict: 'not_submitted' },
  { pattern: /^rejected\b/, verdict: 'rejected' }, // `Rejected <clearinghouse>`, `Rejected Payer`: refused before adjudication
  { pattern: /^(era denied|denied)$/, verdict: 'denied' },
  { pattern: /^paid in full$|^paid$/, verdict: 'paid' },
  { pattern: /^partially paid$/, verdict: 'partially_paid' },
  { pattern: /^(in process payer|payer acknowledged|coordination of benefits)$/, verdict: 'pending' },
  { pattern: /^in process\b/, verdict: 'submitted' }, // `In Process <clearinghouse>`
  { pattern: /^era received$/, verdict: 'postings' }, // paid, partly paid or denied: the postings say which
];

/**
 * A posting's `claim_status` → status. 1/2/3 processed as primary/secondary/tertiary and 19/20/21 processed and
 * forwarded are payments (partially paid while an insurance balance remains); 4 denied; 5 pended, 13–17 suspended,
 * 22 reversal of a previous payment (the claim is open again), 25 predetermination and 27 reviewed are pending;
 * 23 "not our claim" is a rejection. DrChrono's 0 and 10 are undocumented: they decide nothing.
 */
export const postingClaimStatusRules: Readonly<Record<string, ClaimStatus | 'payment'>> = {
  '1': 'payment',
  '2': 'payment',
  '3': 'payment',
  '19': 'payment',
  '20': 'payment',
  '21': 'payment',
  '4': 'denied',
  '5': 'pending',
  '13': 'pending',
  '14': 'pending',
  '15': 'pending',
  '16': 'pending',
  '17': 'pending',
  '22': 'pending',
  '25': 'pending',
  '27': 'pending',
  '23': 'rejected',
};

/** The appointment's practice-workflow `billing_status`, used only when nothing else says anything. */
export const appointmentBillingStatusRules: readonly { readonly pattern: RegExp; readonly verdict: ClaimStatus }[] = [
  { pattern: /^(paid in full|settled)$/, verdict: 'paid' },
  { pattern: /^balance due$/, verdict: 'partially_paid' },
];

export interface PostingEvidence {
  /** The posting's `claim_status` as sent (text). */
  readonly claimStatus: string | null;
  readonly postedDate: string | null;
  readonly drchronoId: string;
}

export interface ClaimEvidence {
  /** `ins1_status`/`ins2_status` of the appointment for this payer, else (primary only) the line items' status. */
  readonly statusText: string | null;
  /** Live postings of this payer (`ins_name` 1 primary, 2 secondary). */
  readonly postings: readonly PostingEvidence[];
  /** Any live line item has `denied_flag`. */
  readonly deniedFlag: boolean;
  /** Σ live line items' `balance_ins` > 0. */
  readonly insuranceBalanceOpen: boolean;
  /** The appointment's `billing_status` (practice workflow). */
  readonly appointmentBillingStatus: string | null;
}

export interface DerivedClaimStatus {
  readonly status: ClaimStatus;
  /** The rule that decided, e.g. `ins_status:paid in full`, `posting:4`, `denied_flag`, `default`. */
  readonly source: string;
  /** The status text matched no rule (DrChrono allows custom values): reported as a warning, by class only. */
  readonly unknownText: boolean;
}

const normal = (text: string | null): string => (text ?? '').trim().toLowerCase();

/** The verdict of the newest posting that decides something (posted date, then DrChrono id, newest first). */
function latestPosting(
  postings: readonly PostingEvidence[],
): { code: string; verdict: ClaimStatus | 'payment' } | null {
  const deciding = postings
    .map((p) => ({ p, code: normal(p.claimStatus) }))
    .filter(({ code }) => Object.hasOwn(postingClaimStatusRules, code))
    .sort(
      (a, b) =>
        (b.p.postedDate ?? '').localeCompare(a.p.postedDate ?? '') ||
        b.p.drchronoId.localeCompare(a.p.drchronoId, 'en', { numeric: true }),
    );
  const first = deciding[0];
  return first ? { code: first.code, verdict: postingClaimStatusRules[first.code]! } : null;
}

/**
 * One claim's status. Order:
 * 1. The insurance status text, by {@link insuranceStatusRules}, when it names a stage past "not submitted" —
 *    DrChrono updates it from the clearinghouse and ERAs, so after a resubmission it reads `In Process …` again even
 *    though the old denial posting is still on file.
 * 2. Otherwise (empty, `ERA Received`, or a custom value): the newest deciding posting
 *    ({@link postingClaimStatusRules}); a payment is `partially_paid` while an insurance balance remains.
 * 3. Otherwise a line item's `denied_flag` → denied.
 * 4. Otherwise: empty text → the appointment's `billing_status` ({@link appointmentBillingStatusRules}) or
 *    `not_submitted`; `ERA Received` → pending; a custom value → pending (and `unknownText`).
 */
export function deriveClaimStatus(evidence: ClaimEvidence): DerivedClaimStatus {
  const text = normal(evidence.statusText);
  const rule = insuranceStatusRules.find((r) => r.pattern.test(text));
  if (rule && rule.verdict !== 'postings' && rule.verdict !== 'not_submitted')
    return { status: rule.verdict, source: `ins_status:${text}`, unknownText: false };
  const unknownText = rule === undefined;
  const posting = latestPosting(evidence.postings);
  if (posting) {
    const status =
      posting.verdict === 'payment' ? (evidence.insuranceBalanceOpen ? 'partially_paid' : 'paid') : posting.verdict;
    return { status, source: `posting:${posting.code}`, unknownText };
  }
  if (evidence.deniedFlag) return { status: 'denied', source: 'denied_flag', unknownText };
  if (rule?.verdict === 'postings') return { status: 'pending', source: `ins_status:${text}`, unknownText };
  if (unknownText) return { status: 'pending', source: 'ins_status:custom', unknownText };
  const workflow = normal(evidence.appointmentBillingStatus);
  const fallback = appointmentBillingStatusRules.find((r) => r.pattern.test(workflow));
  return fallback
    ? { status: fallback.verdict, source: `billing_status:${workflow}`, unknownText: false }
    : { status: 'not_submitted', source: 'default', unknownText: false };
}

/** Severity order for the per-appointment summary: the worst payer status is the appointment's. */
export const claimStatusSeverity: readonly ClaimStatus[] = [
  'denied',
  'rejected',
  'partially_paid',
  'pending',
  'submitted',
  'not_submitted',
  'paid',
];

/** The worst of several payer statuses (null for none). */
export function worstClaimStatus(statuses: readonly ClaimStatus[]): ClaimStatus | null {
  for (const status of claimStatusSeverity) if (statuses.includes(status)) return status;
  return null;
}
