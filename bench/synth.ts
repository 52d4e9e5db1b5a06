import { performance } from 'node:perf_hooks';
import { synthesizeAll } from '../stacks/synth.js';

/**
 * Synthesizes bootstrap, staging and prod in-process (no cdktf CLI, no tsx start-up) and reports the wall time.
 * The first run includes loading the provider bindings; the figure reported is the median of three warm runs plus
 * the cold first run. Yardstick: the goal of < 10 s for all stacks.
 */
export async function benchSynth(): Promise<{ name: string; figures: Record<string, number | string> }> {
  const times: number[] = [];
  let resources = 0;
  for (let i = 0; i < 4; i++) {
    const start = performance.now();
    const result = synthesizeAll();
    times.push(performance.now() - start);
    if (result.errors.length) throw new Error(`synth failed the rule pack: ${result.errors[0]!.message}`);
    resources = Object.values(result.stacks).reduce(
      (n, s) => n + Object.values(s.resource ?? {}).reduce((m, r) => m + Object.keys(r).length, 0),
      0,
    );
  }
  const warm = times.slice(1).sort((a, b) => a - b);
  const median = warm[1]!;
  return {
    name: 'synth (bootstrap + staging + prod, in-process)',
    figures: {
      cold_ms: Math.round(times[0]!),
      warm_median_ms: Math.round(median),
      resources,
      goal_ms: 10_000,
      ratio_to_goal: Number((times[0]! / 10_000).toFixed(3)),
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await benchSynth());
}
