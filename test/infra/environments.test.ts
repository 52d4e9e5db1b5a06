import { beforeAll, describe, expect, it } from 'vitest';
import { synthesizeAll, type TerraformJson } from '../../stacks/synth.js';
import { ENVIRONMENTS } from '../../stacks/environments.js';

/** Leaves of a JSON value keyed by dotted path. */
function flatten(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, value);
  }
  return out;
}

/**
 * What only prod has, on purpose: the anonymize job that loads staging (issue 15; constructs/anonymize-job.ts), its
 * PSC endpoint to the staging instance, and prod's slot in staging's PSC consumer list. Everything else must match.
 */
const PROD_ONLY = /anonymize|psc-staging-sql/;
const onlyInStaging = (path: string) => /allowed_consumer_projects\.1$/.test(path);

let staging: TerraformJson;
let prod: TerraformJson;

beforeAll(() => {
  const result = synthesizeAll();
  expect(result.errors).toEqual([]);
  staging = result.stacks.staging!;
  prod = result.stacks.prod!;
});

describe('staging and prod', () => {
  it('have exactly the same resources (same shape)', () => {
    const addresses = (json: TerraformJson): string[] =>
      Object.entries(json.resource ?? {})
        .flatMap(([type, rs]) => Object.keys(rs).map((n) => `${type}.${n}`))
        .filter((address) => !PROD_ONLY.test(address))
        .sort();
    expect(addresses(staging)).toEqual(addresses(prod));
  });

  it('differ only in values that environments.ts sets differently', () => {
    // Every (staging, prod) pair of config leaves that differ: these are the only allowed differences, either as a
    // whole value or as a substring (project ids inside names, references and URLs).
    const s = flatten(ENVIRONMENTS.staging);
    const p = flatten(ENVIRONMENTS.prod);
    const pairs: Array<[unknown, unknown]> = [];
    for (const [path, value] of s) if (p.get(path) !== value) pairs.push([value, p.get(path)]);
    const stringPairs = pairs
      .filter((pair): pair is [string, string] => typeof pair[0] === 'string' && typeof pair[1] === 'string')
      .sort((a, b) => b[0].length - a[0].length);

    const shared = (json: TerraformJson) =>
      Object.fromEntries(
        Object.entries(json.resource ?? {}).map(([type, rs]) => [
          type,
          Object.fromEntries(Object.entries(rs).filter(([name]) => !PROD_ONLY.test(name))),
        ]),
      );
    const left = flatten(shared(staging));
    const right = flatten(shared(prod));
    for (const path of [...left.keys()]) if (onlyInStaging(path)) left.delete(path);
    const unexplained: string[] = [];
    for (const [path, value] of left) {
      const other = right.get(path);
      if (other === value) continue;
      if (pairs.some(([a, b]) => a === value && b === other)) continue;
      if (typeof value === 'string') {
        const substituted = stringPairs.reduce((acc, [a, b]) => acc.split(a).join(b), value);
        if (substituted === other) continue;
      }
      unexplained.push(`${path}: ${JSON.stringify(value)} → ${JSON.stringify(other)}`);
    }
    expect(unexplained).toEqual([]);
    expect(new Set(right.keys())).toEqual(new Set(left.keys()));
  });
});
