import { benchAnonymize } from './anonymize.js';
import { benchBilling } from './billing.js';
import { benchBudget } from './budget.js';
import { benchCodaPush } from './coda-push.js';
import { benchFullSync } from './full-sync.js';
import type { BenchResult } from './harness.js';
import { benchLabs } from './labs.js';
import { benchSynth } from './synth.js';
import { benchUpsertVsCopy } from './upsert-vs-copy.js';
import { benchWebhookLoad } from './webhook-load.js';

// `npm run bench [name …]`: runs each benchmark, prints its figures and the ratio to its yardstick. Never asserts time.
const benchmarks: Record<string, () => Promise<BenchResult>> = {
  upsert: benchUpsertVsCopy,
  sync: benchFullSync,
  billing: benchBilling,
  budget: benchBudget,
  labs: benchLabs,
  webhook: benchWebhookLoad,
  push: benchCodaPush,
  synth: benchSynth,
  anonymize: benchAnonymize,
};

const only = process.argv.slice(2);
for (const [key, bench] of Object.entries(benchmarks)) {
  if (only.length && !only.includes(key)) continue;
  const result = await bench();
  process.stdout.write(`\n## ${result.name}\n`);
  for (const [figure, value] of Object.entries(result.figures))
    process.stdout.write(`  ${figure.padEnd(28)} ${value}\n`);
}
