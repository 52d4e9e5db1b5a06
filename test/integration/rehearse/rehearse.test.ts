import { spawn } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { rehearse } from '../../../cli/rehearse/index.js';
import { synthesizeAll, type TerraformJson } from '../../../stacks/synth.js';

// `platform rehearse`: the deploy rehearsed locally. The CLI run proves the real stack deploys; the drift runs break
// one name in a copy of the synthesized JSON and expect the rehearsal to stop, naming it. The build is cached between
// runs (keyed by the sources), so only the first run in a checkout pays for tsc and npm ci.

const ROOT = path.resolve(import.meta.dirname, '../../..');
let staging: TerraformJson;

beforeAll(() => {
  const result = synthesizeAll();
  expect(result.errors).toEqual([]);
  staging = result.stacks.staging!;
});

type Attrs = Record<string, any>;
const copy = (): Attrs => structuredClone(staging) as Attrs;
const one = (json: Attrs, type: string, match: (r: Attrs) => boolean): Attrs =>
  Object.values(json.resource[type] as Record<string, Attrs>).find(match)!;
const envOf = (json: Attrs, service: string): Attrs[] =>
  one(json, 'google_cloud_run_v2_service', (s) => s.name === service).template.containers[0].env;

async function rehearseDrift(json: Attrs) {
  const lines: string[] = [];
  const result = await rehearse({
    stackName: 'staging',
    stack: json as TerraformJson,
    print: (line) => lines.push(line),
  });
  return { ...result, output: lines.join('\n') };
}

describe('platform rehearse', () => {
  it('rehearses the staging deploy end to end and prints one line per step', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'rehearse', 'staging'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, output).toBe(0);
    for (const step of [
      'synth staging',
      'stand-ins',
      'secrets',
      'environments',
      'build',
      'database',
      'pubsub',
      'migrate (job platform-migrate)',
      'serve coda-push',
      'serve drchrono-sync',
      'push',
      'webhook',
      'scheduler sync-incremental',
      'scheduler sync-deep',
      'scheduler outbox-drain',
      'scheduler maintenance-cleanup',
      'coda',
      'dlq runbook',
      'names',
    ]) {
      expect(output, step).toContain(`✓ ${step}`);
    }
    expect(output).toContain('moved 1 message(s) from change-events-dlq to change-events');
    expect(output).not.toContain('✗');
  }, 240_000);

  it('fails naming the variable when a service is given an env name it does not read', async () => {
    const json = copy();
    envOf(json, 'coda-push').find((e) => e.name === 'CODA_MAPPING_JSON')!.name = 'CODA_MAPING_JSON';
    const result = await rehearseDrift(json);
    expect(result.ok).toBe(false);
    expect(result.failure?.step).toBe('environments');
    expect(result.failure?.message).toMatch(/^coda-push: env CODA_MAPING_JSON is not read by the service/);
    expect(result.output).toContain('✗ environments: coda-push: env CODA_MAPING_JSON');
  });

  it('fails naming the secret and the variable when a secret reference names a secret the stack does not create', async () => {
    const json = copy();
    envOf(json, 'drchrono-sync').find((e) => e.name === 'DRCHRONO_CLIENT_ID')!.value_source.secret_key_ref.secret =
      'drchrono-client-idd';
    const result = await rehearseDrift(json);
    expect(result.failure?.step).toBe('environments');
    expect(result.failure?.message).toMatch(
      /^drchrono-sync: secret drchrono-client-idd \(DRCHRONO_CLIENT_ID\) does not exist/,
    );
  });

  it("is stopped by the running system when the dead-letter subscription is renamed: the runbook's replay cannot find it", async () => {
    const json = copy();
    one(json, 'google_pubsub_subscription', (s) => s.name === 'change-events-dlq').name = 'change-events-dlqq';
    const result = await rehearseDrift(json);
    expect(result.failure?.step, result.output).toBe('dlq runbook');
    expect(result.failure?.message).toMatch(/^subscription change-events-dlq: `npx platform dlq replay` failed/);
    expect(result.failure?.message).toContain('change-events-dlqq');
    // Everything up to the runbook ran against the renamed subscription.
    expect(result.output).toContain('✓ coda');
  }, 180_000);
});
