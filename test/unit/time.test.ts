import { describe, expect, it } from 'vitest';
import { InvalidTimestampError, practiceLocalToUtc, utcToPracticeLocal } from '../../sync/time.js';

describe('practiceLocalToUtc', () => {
  it.each([
    ['2026-07-01T10:15:00', 'America/New_York', '2026-07-01T14:15:00.000Z'],
    ['2026-01-15T10:15:00.5', 'America/New_York', '2026-01-15T15:15:00.500Z'],
    ['2026-01-15T10:15', 'Asia/Kolkata', '2026-01-15T04:45:00.000Z'],
    // Clocks go forward: 02:30 never happens, so it moves forward by the gap.
    ['2026-03-08T02:30:00', 'America/New_York', '2026-03-08T07:30:00.000Z'],
    ['2026-10-04T02:15:00', 'Australia/Lord_Howe', '2026-10-03T15:45:00.000Z'],
    // Clocks go back: 01:30 happens twice; the first occurrence wins.
    ['2026-11-01T01:30:00', 'America/New_York', '2026-11-01T05:30:00.000Z'],
    ['2026-04-05T01:45:00', 'Australia/Lord_Howe', '2026-04-04T14:45:00.000Z'],
  ])('%s in %s is %s', (local, zone, utc) => {
    expect(practiceLocalToUtc(local, zone)).toBe(utc);
  });

  it('round-trips every instant of a year except the second pass through a repeated hour', () => {
    for (const zone of [
      'America/New_York',
      'America/Los_Angeles',
      'America/St_Johns',
      'Europe/London',
      'Australia/Lord_Howe',
    ]) {
      const mismatches: string[] = [];
      for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 11 * 60_000) {
        const local = utcToPracticeLocal(new Date(t), zone);
        const back = practiceLocalToUtc(local, zone);
        if (back === new Date(t).toISOString()) continue;
        // Only allowed when the wall-clock time also happened earlier, within the hour before.
        const earlier = Date.parse(back);
        if (earlier < t && t - earlier <= 3_600_000 && utcToPracticeLocal(new Date(earlier), zone) === local) continue;
        mismatches.push(`${new Date(t).toISOString()} → ${local} → ${back}`);
      }
      expect(mismatches, zone).toEqual([]);
    }
  });

  it('refuses anything but a zone-less timestamp, without echoing it', () => {
    for (const bad of ['2026-07-01', '2026-07-01T10:15:00Z', '2026-07-01 10:15', 'Harper']) {
      expect(() => practiceLocalToUtc(bad, 'America/New_York')).toThrow(InvalidTimestampError);
      try {
        practiceLocalToUtc(bad, 'America/New_York');
      } catch (error) {
        expect((error as Error).message).not.toContain(bad);
      }
    }
  });
});

describe('utcToPracticeLocal', () => {
  it('writes the wall-clock time DrChrono uses for since', () => {
    expect(utcToPracticeLocal(new Date('2026-07-01T14:15:09.900Z'), 'America/New_York')).toBe('2026-07-01T10:15:09');
    expect(utcToPracticeLocal(new Date('2026-11-01T06:30:00Z'), 'America/New_York')).toBe('2026-11-01T01:30:00');
  });
});

describe('practiceLocalToUtc refuses impossible fields instead of rolling them over', () => {
  it.each([
    ['2026-13-40T25:61', 'month 13, day 40, hour 25 (was stored as 2027-02-10T07:01Z)'],
    ['0000-00-00T00:00', 'year 0000, month 00 (was stored as 1899-11-30)'],
    ['2026-02-30T10:00', 'February 30'],
    ['2025-02-29T10:00', 'February 29 of a common year'],
    ['9999-99-99T99:99', 'every field out of range (was +010007-…)'],
    ['2026-04-31T10:00', 'April 31'],
    ['2026-01-01T24:00', 'hour 24'],
    ['2026-01-01T10:60', 'minute 60'],
    ['2026-01-01T10:00:60', 'second 60'],
  ])('%s (%s) throws InvalidTimestampError', (local) => {
    expect(() => practiceLocalToUtc(local, 'America/New_York')).toThrow(InvalidTimestampError);
  });

  it('keeps years 0001–0099 as written instead of mapping them to 1901–1999', () => {
    expect(practiceLocalToUtc('0001-01-01T12:00:00', 'UTC')).toBe('0001-01-01T12:00:00.000Z');
    expect(practiceLocalToUtc('0099-06-15T00:00', 'UTC')).toBe('0099-06-15T00:00:00.000Z');
  });

  it('accepts February 29 of a leap year and the last second of a day', () => {
    expect(practiceLocalToUtc('2024-02-29T23:59:59', 'UTC')).toBe('2024-02-29T23:59:59.000Z');
    expect(practiceLocalToUtc('2000-02-29T00:00', 'UTC')).toBe('2000-02-29T00:00:00.000Z');
  });
});
