import type { BenchResult } from './harness.js';
import { benchUpsertVsCopy } from './upsert-vs-copy.js';

// `npm run bench`: runs each benchmark, prints its figures and the ratio to its yardstick. Never asserts time.
const benchmarks: Record<string, () => Promise<BenchResult>> = {
  upsert: benchUpsertVsCopy,
};

const only = process.argv.slice(2);
for (const [key, bench] of Object.entries(benchmarks)) {
  if (only.length && !only.includes(key)) continue;
  const result = await bench();
  process.stdout.write(`\n## ${result.name}\n`);
  for (const [figure, value] of Object.entries(result.figures)) process.stdout.write(`  ${figure.padEnd(28)} ${value}\n`);
}
