import { readFileSync } from 'node:fs';
import path from 'node:path';
import { is } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import * as schema from '../../../schema/index.js';
import { anonymizeRegistry, anonymizeReport, tableName } from '../../../sync/anonymize/index.js';

const schemaTables = (Object.values(schema) as unknown[]).filter((v): v is PgTable => is(v, PgTable));

describe('the anonymize rule registry', () => {
  it('has an entry for every table in schema/index.ts, so a new table is never copied without rules', () => {
    const registered = new Set(anonymizeRegistry.map((e) => tableName(e.table)));
    const missing = schemaTables.map((t) => getTableConfig(t).name).filter((name) => !registered.has(name));
    expect(
      missing,
      'add these tables to sync/anonymize/registry.ts (copied with rules, or skipped with a reason)',
    ).toEqual([]);
    expect(anonymizeRegistry.length).toBe(schemaTables.length);
  });

  it('gives every column of every copied table exactly one rule', () => {
    const problems: string[] = [];
    for (const entry of anonymizeRegistry) {
      if (!entry.copy) continue;
      const name = tableName(entry.table);
      const columns = getTableConfig(entry.table).columns.map((c) => c.name);
      for (const c of columns) if (!(c in entry.columns)) problems.push(`${name}.${c} has no rule`);
      for (const c of Object.keys(entry.columns))
        if (!columns.includes(c)) problems.push(`${name}.${c} is not a column`);
    }
    expect(problems).toEqual([]);
  });

  it('orders copied tables so that every foreign key points at a table copied before it', () => {
    const seen = new Set<string>();
    for (const entry of anonymizeRegistry) {
      for (const fk of getTableConfig(entry.table).foreignKeys) {
        const targetName = getTableConfig(fk.reference().foreignTable).name;
        if (targetName !== tableName(entry.table))
          expect(seen.has(targetName), `${tableName(entry.table)} → ${targetName}`).toBe(true);
      }
      seen.add(tableName(entry.table));
    }
  });

  it('replaces or drops every column that carries a Safe Harbor identifier kind', () => {
    const identifying =
      /name$|email|phone|fax|address|city|zip|chart_id|date_of_birth|_number$|ssn|transcript|soap_|notes$|sections|reason$|trace_number|auth_number|document_ref|assigned_to/;
    const kept: string[] = [];
    for (const entry of anonymizeRegistry) {
      if (!entry.copy) continue;
      for (const [column, rule] of Object.entries(entry.columns))
        if (identifying.test(column) && rule.rule === 'keep')
          kept.push(`${tableName(entry.table)}.${column}: ${rule.why}`);
    }
    // Identifier-shaped names that are kept: insurers, drugs, diagnoses, lab test names, CARC, payer-rank and lab
    // classifier codes, billing's generated text.
    expect(kept.sort()).toEqual([
      'billing_reconciliations.review_reason: written by sync/billing from figures and statuses, never from free text',
      'claim_statuses.payer_name: payer name: the insurer, not the person',
      'insurance_transactions.adjustment_reason: code or category (distribution kept)',
      'insurance_transactions.ins_name: code or category (distribution kept)',
      'insurance_transactions.insurance_name: payer name: the insurer, not the person',
      'lab_results.severity_reason: code or category (distribution kept)',
      'lab_reviews.close_reason: code or category (distribution kept)',
      'lab_reviews.reopen_reason: code or category (distribution kept)',
      'lab_reviews.severity_reason: code or category (distribution kept)',
      'lab_tests.name: code or category (distribution kept)',
      'medications.name: drug name',
      'problems.name: diagnosis name',
    ]);
  });
});

describe('the anonymize report', () => {
  it('is in the README staging section exactly as generated', () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, '../../../README.md'), 'utf8');
    const match = /<!-- anonymize-report:start -->\n([\s\S]*?)<!-- anonymize-report:end -->/.exec(readme);
    expect(
      match,
      'README.md needs the generated report between <!-- anonymize-report:start/end --> markers',
    ).not.toBeNull();
    expect(match![1]).toBe(anonymizeReport());
  });

  it('names every copied column and every table staging does not get', () => {
    const report = anonymizeReport();
    for (const entry of anonymizeRegistry) {
      const name = tableName(entry.table);
      if (!entry.copy) expect(report).toContain(`| ${name} | `);
      else for (const column of Object.keys(entry.columns)) expect(report).toContain(`| ${name} | ${column} |`);
    }
    expect(anonymizeReport({ strictDates: true })).toContain('year only');
  });
});
