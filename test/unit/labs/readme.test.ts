import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { abnormalFlagSeverity } from '../../../sync/labs/index.js';

// The README's classifier table is the code's table: every flag on the row of its severity.
describe('README labs section', () => {
  it('lists every abnormal_status code with the severity abnormalFlagSeverity gives it', () => {
    const readme = readFileSync(resolve(import.meta.dirname, '../../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Labs'), readme.indexOf('### Deep Cura Gridhooks'));
    const rows = new Map<string, string>();
    for (const m of section.matchAll(/^\| (`[^|]+) \| (critical|abnormal|normal|unknown) \|$/gm))
      for (const flag of m[1]!.split(', ')) rows.set(flag.replaceAll('`', ''), m[2]!);
    expect(Object.fromEntries(rows)).toEqual(abnormalFlagSeverity);
  });
});
