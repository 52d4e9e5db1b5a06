import { describe, expect, it } from 'vitest';
import { mapLabRecords } from '../../../sync/drchrono/mappers.js';
import { reviewAction } from '../../../sync/labs/recompute.js';

// The review queue's rules (sync/labs/recompute.ts reviewAction) and the lab result mapper's parsing of bad input.

const live = { severity: 'critical', status: 'F', result_deleted: false, order_deleted: false, digest: 'a' } as const;
const open = { closed_at: null, close_reason: null, result_digest: 'a' };
const acknowledged = { closed_at: '2026-01-01', close_reason: 'acknowledged', result_digest: 'a' };

describe('reviewAction', () => {
  it('opens one item for a critical or abnormal result, none for normal or unknown', () => {
    expect(reviewAction(live, undefined)).toEqual({ kind: 'open' });
    expect(reviewAction({ ...live, severity: 'abnormal' }, undefined)).toEqual({ kind: 'open' });
    expect(reviewAction({ ...live, severity: 'normal' }, undefined)).toEqual({ kind: 'none' });
    expect(reviewAction({ ...live, severity: 'unknown' }, undefined)).toEqual({ kind: 'none' });
    expect(reviewAction({ ...live, status: 'X' }, undefined)).toEqual({ kind: 'none' });
    expect(reviewAction({ ...live, result_deleted: true }, undefined)).toEqual({ kind: 'none' });
  });

  it('an open item follows the result, closes when it turns normal, is cancelled or deleted, stays on unknown', () => {
    expect(reviewAction(live, open)).toEqual({ kind: 'follow' });
    expect(reviewAction({ ...live, severity: 'normal' }, open)).toEqual({ kind: 'close', reason: 'normal' });
    expect(reviewAction({ ...live, status: 'X' }, open)).toEqual({ kind: 'close', reason: 'cancelled' });
    expect(reviewAction({ ...live, result_deleted: true }, open)).toEqual({ kind: 'close', reason: 'result_deleted' });
    expect(reviewAction({ ...live, result_deleted: true, order_deleted: true }, open)).toEqual({
      kind: 'close',
      reason: 'order_deleted',
    });
    expect(reviewAction({ ...live, severity: 'unknown' }, open)).toEqual({ kind: 'follow' });
  });

  it('an acknowledged item reopens only on a correction (C) with new content', () => {
    expect(reviewAction(live, acknowledged)).toEqual({ kind: 'none' });
    expect(reviewAction({ ...live, status: 'C' }, acknowledged)).toEqual({ kind: 'none' });
    expect(reviewAction({ ...live, digest: 'b' }, acknowledged)).toEqual({ kind: 'none' });
    expect(reviewAction({ ...live, status: 'C', digest: 'b' }, acknowledged)).toEqual({
      kind: 'reopen',
      reason: 'correction',
    });
    expect(reviewAction({ ...live, status: 'C', digest: 'b', severity: 'normal' }, acknowledged)).toEqual({
      kind: 'none',
    });
  });

  it('an item the system closed reopens when the result needs review again', () => {
    const closed = { closed_at: '2026-01-01', close_reason: 'normal', result_digest: 'a' };
    expect(reviewAction({ ...live, digest: 'b' }, closed)).toEqual({ kind: 'reopen', reason: 'abnormal_again' });
    expect(reviewAction({ ...live, severity: 'normal' }, closed)).toEqual({ kind: 'none' });
  });
});

const map = (fields: Record<string, unknown>) =>
  mapLabRecords('lab_results', [{ id: 1, lab_order: '9', lab_test: 8, status: 'F', ...fields }], {
    timeZone: 'America/New_York',
  })[0]!;

describe('lab result mapping', () => {
  it('stores value text, a numeric value only when value_is_numeric and a decimal, and the parsed range bounds', () => {
    expect(map({ value: '0.9', value_is_numeric: true, normal_range: '0.6 1.2' })).toMatchObject({
      value: '0.9',
      value_numeric: '0.9',
      range_low: '0.6',
      range_high: '1.2',
      severity: 'normal',
    });
    expect(map({ value: '0.9', value_is_numeric: false, normal_range: '3.5-5.0' })).toMatchObject({
      value_numeric: null,
      range_low: '3.5',
      range_high: '5.0',
    });
    expect(map({ value: '6', value_is_numeric: true, normal_range: '<5' })).toMatchObject({
      range_low: null,
      range_high: '5',
      severity: 'abnormal',
      severity_reason: 'range:above_high',
    });
  });

  it('bad input: non-numeric value flagged numeric, text/empty/reversed ranges, unit mismatch, unknown flags', () => {
    expect(map({ value: 'see note', value_is_numeric: true, normal_range: '1 2' })).toMatchObject({
      value_numeric: null,
      severity: 'unknown',
      severity_reason: 'non_numeric_value',
    });
    expect(map({ value: 'positive', normal_range: 'negative' })).toMatchObject({
      normal_range: 'negative',
      range_low: null,
      range_high: null,
    });
    expect(map({ value: '3', value_is_numeric: true, normal_range: '' })).toMatchObject({
      normal_range: null,
      severity_reason: 'range:empty',
    });
    expect(map({ value: '4', value_is_numeric: true, normal_range: '5 3' })).toMatchObject({
      range_low: null,
      range_high: null,
      severity_reason: 'range:text',
    });
    expect(map({ value: '1.4', value_is_numeric: true, unit: 'mmol/L', normal_range: '0.6-1.2 mEq/L' })).toMatchObject({
      severity: 'unknown',
      severity_reason: 'unit_mismatch',
    });
    expect(map({ value: '1.4', abnormal_status: 'QQ' })).toMatchObject({
      abnormal_status: 'QQ',
      severity: 'unknown',
      severity_reason: 'flag:unrecognized',
    });
    expect(map({ value: { nested: true }, is_abnormal: 'perhaps' })).toMatchObject({
      value_numeric: null,
      is_abnormal: null,
      severity: 'unknown',
    });
    expect(map({ is_abnormal: 'true' })).toMatchObject({ is_abnormal: true, severity: 'abnormal' });
  });
});
