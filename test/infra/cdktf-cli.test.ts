import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

describe('cdktf CLI (offline)', () => {
  it('exits 1 and prints rule id, construct path and fix when the rule pack finds an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cdktf-cli-'));
    try {
      writeFileSync(
        join(dir, 'cdktf.json'),
        JSON.stringify({
          language: 'typescript',
          app: `${join(ROOT, 'node_modules/.bin/tsx')} ${join(ROOT, 'test/infra/fixtures/bad-app.ts')}`,
          output: 'cdktf.out',
          terraformProviders: [],
        }),
      );
      const error = await run(join(ROOT, 'node_modules/.bin/cdktf'), ['synth'], {
        cwd: dir,
        env: { ...process.env, CHECKPOINT_DISABLE: '1', CI: '1', FORCE_COLOR: '0' },
      }).then(
        () => undefined,
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      expect(error, 'cdktf synth should fail').toBeDefined();
      expect(error!.code).toBe(1);
      const output = error!.stdout + error!.stderr;
      expect(output).toMatch(/bad\/db\/instance/);
      expect(output).toMatch(/\[HIPAA-SQL-1\] public IPv4 is enabled/);
      expect(output).toMatch(/Fix: Set settings\.ip_configuration\.ipv4_enabled = false/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
