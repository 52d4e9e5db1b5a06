import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claimStatusValues } from '../../../schema/billing.js';
import { deriveClaimStatus, worstClaimStatus, type ClaimEvidence } from '../../../sync/billing/claim-status.js';
import { fromCents, sumCents, toCents } from '../../../sync/billing/money.js';

const evidence = (over: Partial<ClaimEvidence> = {}): ClaimEvidence => ({
  statusText: null,
  postings: [],
  deniedFlag: false,
  insuranceBalanceOpen: false,
  appointmentBillingStatus: null,
  ...over,
});
const posting = (claimStatus: string, postedDate: string, drchronoId = postedDate) => ({
  claimStatus,
  postedDate,
  drchronoId,
});

describe('deriveClaimStatus (the mapping table)', () => {
  it.each([
    ['', 'not_submitted'],
    ['Incomplete Information', 'not_submitted'],
    ['In Process Waystar', 'submitted'],
    ['In Process Emdeon', 'submitted'],
    ['In Process Payer', 'pending'],
    ['Payer Acknowledged', 'pending'],
    ['Coordination of Benefits', 'pending'],
    ['Paid in Full', 'paid'],
    ['Partially Paid', 'partially_paid'],
    ['ERA Denied', 'denied'],
    ['Rejected Payer', 'rejected'],
    ['Rejected iHCFA', 'rejected'],
    ['  paid in full ', 'paid'],
  ])('insurance status %j → %s', (text, status) => {
    expect(deriveClaimStatus(evidence({ statusText: text })).status).toBe(status);
  });

  it('ERA Received is decided by the newest deciding posting', () => {
    const postings = [posting('1', '2026-01-05'), posting('4', '2026-01-20'), posting('0', '2026-02-01')];
    expect(deriveClaimStatus(evidence({ statusText: 'ERA Received', postings }))).toMatchObject({
      status: 'denied',
      source: 'posting:4',
    });
    const paid = [posting('4', '2026-01-05'), posting('1', '2026-01-20')];
    expect(deriveClaimStatus(evidence({ statusText: 'ERA Received', postings: paid })).status).toBe('paid');
    expect(
      deriveClaimStatus(evidence({ statusText: 'ERA Received', postings: paid, insuranceBalanceOpen: true })).status,
    ).toBe('partially_paid');
    expect(deriveClaimStatus(evidence({ statusText: 'ERA Received' })).status).toBe('pending');
  });

  it('a resubmitted claim reads submitted although its denial posting is still on file', () => {
    const postings = [posting('4', '2026-01-20')];
    expect(deriveClaimStatus(evidence({ statusText: 'In Process Waystar', postings })).status).toBe('submitted');
  });

  it('empty status text with postings, a reversal and a denied flag', () => {
    expect(
      deriveClaimStatus(evidence({ postings: [posting('22', '2026-02-01'), posting('1', '2026-01-01')] })).status,
    ).toBe('pending');
    expect(deriveClaimStatus(evidence({ deniedFlag: true }))).toMatchObject({
      status: 'denied',
      source: 'denied_flag',
    });
  });

  it('a custom status text is stored, mapped by postings or to pending, and flagged for the warning', () => {
    expect(deriveClaimStatus(evidence({ statusText: 'Sent to collections (custom)' }))).toEqual({
      status: 'pending',
      source: 'ins_status:custom',
      unknownText: true,
    });
    expect(
      deriveClaimStatus(evidence({ statusText: 'Our own code', postings: [posting('4', '2026-01-01')] })),
    ).toMatchObject({ status: 'denied', unknownText: true });
  });

  it('the appointment workflow status only decides when nothing else does', () => {
    expect(deriveClaimStatus(evidence({ appointmentBillingStatus: 'Settled' })).status).toBe('paid');
    expect(deriveClaimStatus(evidence({ appointmentBillingStatus: 'Bill Insurance' })).status).toBe('not_submitted');
    expect(
      deriveClaimStatus(evidence({ statusText: 'In Process Payer', appointmentBillingStatus: 'Settled' })).status,
    ).toBe('pending');
  });

  it('never throws and always answers one of the seven statuses (property)', () => {
    const text = fc.option(fc.string({ maxLength: 40 }), { nil: null });
    fc.assert(
      fc.property(
        text,
        fc.array(fc.record({ claimStatus: text, postedDate: text, drchronoId: fc.string({ minLength: 1 }) })),
        fc.boolean(),
        fc.boolean(),
        text,
        (statusText, postings, deniedFlag, insuranceBalanceOpen, appointmentBillingStatus) => {
          const { status } = deriveClaimStatus({
            statusText,
            postings,
            deniedFlag,
            insuranceBalanceOpen,
            appointmentBillingStatus,
          });
          expect(claimStatusValues).toContain(status);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('worstClaimStatus orders denied first and paid last', () => {
    expect(worstClaimStatus(['paid', 'denied', 'pending'])).toBe('denied');
    expect(worstClaimStatus(['paid', 'submitted'])).toBe('submitted');
    expect(worstClaimStatus([])).toBeNull();
  });
});

describe('money in cents', () => {
  it('parses and prints exactly', () => {
    expect(toCents('120.5')).toBe(12050n);
    expect(toCents('-0.07')).toBe(-7n);
    expect(toCents(null)).toBe(0n);
    expect(fromCents(-1250n)).toBe('-12.50');
    expect(sumCents(['0.10', '0.20', null])).toBe(30n);
    expect(fromCents(sumCents(['0.10', '0.20']))).toBe('0.30'); // 0.1 + 0.2 in floats is 0.30000000000000004
  });

  it('round-trips every 2-dp amount (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), (cents) => {
        expect(toCents(fromCents(cents))).toBe(cents);
      }),
    );
  });
});
