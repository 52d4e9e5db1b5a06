import { anonymizeRegistry, tableName, type TableRules } from './registry.js';
import type { ColumnRule } from './rules.js';
import { MAX_SHIFT_DAYS } from './key.js';
import { RESTRICTED_ZIP3 } from './safe-harbor.js';

/** What a rule does, in the report's words: the verb (kept / shifted / generalised / replaced / dropped) and how. */
function describe(rule: ColumnRule, strictDates: boolean): [string, string] {
  switch (rule.rule) {
    case 'keep':
      return ['kept', rule.why];
    case 'shift_date':
      return strictDates
        ? ['generalised', 'year only (YYYY-01-01)']
        : ['shifted', `by the patient's keyed offset (±1–${MAX_SHIFT_DAYS} days)`];
    case 'generalise_age':
      return [
        'generalised',
        `age > 89 → 1 Jan of (this year − 90); else ${strictDates ? 'year only' : "shifted by the patient's offset"}`,
      ];
    case 'generalise_zip':
      return ['generalised', 'first 3 digits; `000` for the restricted ZIP3 areas'];
    case 'pseudonym_id':
      return [
        'replaced',
        rule.prefixOf
          ? `keyed pseudonym of the id before \`${rule.prefixOf}\`, rest kept`
          : 'keyed 15-digit pseudonym (same id → same pseudonym in every table)',
      ];
    case 'replace_text':
      return [
        'replaced',
        {
          text: 'neutral placeholder text of the same length',
          first_name: 'keyed fake first name',
          last_name: 'keyed fake last name',
          email: 'keyed fake address @example.invalid',
          phone: 'keyed fictional 555-555-01xx number',
          token: 'keyed token (X…)',
        }[rule.as],
      ];
    case 'drop':
      return ['dropped', 'null'];
    case 'walk_json':
      return ['replaced', 'JSON walked field by field (see below)'];
  }
}

const esc = (text: string) => text.replaceAll('|', '\\|');

/**
 * The Markdown report of what `platform anonymize` does to every table and column (`--report`). It depends on the
 * registry only, so the README's copy (staging section) is checked against it by a test and cannot drift.
 */
export function anonymizeReport(options: { strictDates?: boolean; registry?: readonly TableRules[] } = {}): string {
  const strict = options.strictDates ?? false;
  const registry = options.registry ?? anonymizeRegistry;
  const lines: string[] = [];
  lines.push(
    `Dates: ${strict ? 'strict Safe Harbor — year only' : `shifted by one keyed offset per patient (±1–${MAX_SHIFT_DAYS} days; intervals within a patient kept; rests on an expert determination)`}. ` +
      `Restricted ZIP3 → \`000\`: ${RESTRICTED_ZIP3.join(', ')}.`,
    '',
    '| table | column | done | how |',
    '|---|---|---|---|',
  );
  for (const entry of registry) {
    if (!entry.copy) continue;
    for (const [column, rule] of Object.entries(entry.columns)) {
      const [verb, how] = describe(rule, strict);
      lines.push(`| ${tableName(entry.table)} | ${column} | ${verb} | ${esc(how)} |`);
    }
  }
  lines.push('', 'Not copied:', '', '| table | why |', '|---|---|');
  for (const entry of registry) if (!entry.copy) lines.push(`| ${tableName(entry.table)} | ${esc(entry.reason)} |`);
  lines.push(
    '',
    'JSON fields (`raw`, Deep Cura lists, checklist items), by field name: ids (`id`, `patient`, `appointment`, `doctor`, `*_id`, `*_number`, …) → keyed pseudonyms; ' +
      'names → fake names; emails and any value with `@` → fake addresses; phone/fax → fictional numbers; ZIP → 3 digits; birth dates → age rule; ' +
      'addresses, cities, SSNs, licences, certificates, device/vehicle ids, URLs, IPs, photos, biometrics → null; any other date-shaped string → date rule; ' +
      'short codes and statuses (`*status`, `*_code`, `*_type`, `code`, `gender`, `state`, …) and decimals → kept; numbers and booleans → kept; every other string → placeholder text.',
  );
  return `${lines.join('\n')}\n`;
}
