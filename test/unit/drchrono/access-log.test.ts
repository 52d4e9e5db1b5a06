import { describe, expect, it } from 'vitest';
import { drchronoPathTemplate } from '../../../sync/drchrono/access-log.js';
import { hourStart, nextHourStart } from '../../../sync/drchrono/budget.js';

describe('drchronoPathTemplate', () => {
  it.each([
    ['https://app.drchrono.com/api/patients?since=2026-01-01&page_size=250', '/api/patients'],
    ['https://app.drchrono.com/api/patients/12345', '/api/patients/{id}'],
    ['https://app.drchrono.com/api/appointments/abc_2026-03-01/', '/api/appointments/{id}'],
    ['http://127.0.0.1:4000/api/clinical_notes?cursor=eyJzIjo1MH0&patient=1000001', '/api/clinical_notes'],
    ['https://drchrono.com/o/token/', '/o/token/'],
    ['https://drchrono.com/o/authorize/?code=secret', '/other'],
  ])('maps %s to %s, dropping query values and ids', (url, template) => {
    expect(drchronoPathTemplate(url)).toBe(template);
  });
});

describe('clock hours of the call budget', () => {
  it('start at the top of the hour and roll over at the next one', () => {
    const at = new Date('2026-03-02T10:59:59.999Z');
    expect(hourStart(at).toISOString()).toBe('2026-03-02T10:00:00.000Z');
    expect(nextHourStart(at).toISOString()).toBe('2026-03-02T11:00:00.000Z');
    expect(nextHourStart(new Date('2026-03-02T23:00:00.000Z')).toISOString()).toBe('2026-03-03T00:00:00.000Z');
  });
});
