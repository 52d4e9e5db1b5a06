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
    for (const zone of ['America/New_York', 'America/Los_Angeles', 'America/St_Johns', 'Europe/London', 'Australia/Lord_Howe']) {
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
