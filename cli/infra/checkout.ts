import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { StackJson } from './diff.js';

const exec = promisify(execFile);

/** A git or synthesis step failed; the message says which and why. */
export class InfraDiffError extends Error {
  override readonly name = 'InfraDiffError';
}

export async function git(cwd: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await exec('git', [...args], { cwd, maxBuffer: 16 * 1024 * 1024 });
    return stdout.trim();
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new InfraDiffError(`git ${args.join(' ')} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

/**
 * Checks `ref` out into a temporary detached worktree of the repository at `repoRoot`, with `node_modules`
 * symlinked from `repoRoot` (offline: nothing is installed), runs `fn`, then removes the worktree.
 */
export async function withWorktree<T>(repoRoot: string, ref: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const commit = await git(repoRoot, ['rev-parse', '--verify', `${ref}^{commit}`]);
  const dir = mkdtempSync(join(tmpdir(), 'infra-diff-'));
  rmSync(dir, { recursive: true, force: true });
  await git(repoRoot, ['worktree', 'add', '--detach', dir, commit]);
  try {
    const modules = join(repoRoot, 'node_modules');
    if (existsSync(modules) && !existsSync(join(dir, 'node_modules')))
      symlinkSync(modules, join(dir, 'node_modules'), 'dir');
    return await fn(dir);
  } finally {
    await git(repoRoot, ['worktree', 'remove', '--force', dir]).catch(() =>
      rmSync(dir, { recursive: true, force: true }),
    );
    await git(repoRoot, ['worktree', 'prune']).catch(() => undefined);
  }
}

export interface CheckoutSynth {
  /** cdk.tf.json per stack; empty when the checkout has no `stacks/main.ts` (infrastructure not yet in the repo). */
  readonly stacks: Record<string, StackJson>;
  /** Exit code of the synth process (non-zero = rule-pack findings or a crash). */
  readonly exitCode: number;
  /** Its stderr (rule-pack findings are printed there). */
  readonly stderr: string;
}

/**
 * Synthesizes the checkout at `dir` by running its own `stacks/main.ts` with tsx (each side uses its own code), into
 * a temporary CDKTF_OUTDIR. `CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS` is set so every stack is written even when
 * the rule pack fails; the exit code still reports the failure.
 */
export async function synthesizeCheckout(dir: string): Promise<CheckoutSynth> {
  if (!existsSync(join(dir, 'stacks', 'main.ts'))) return { stacks: {}, exitCode: 0, stderr: '' };
  const outdir = mkdtempSync(join(tmpdir(), 'infra-diff-out-'));
  try {
    let exitCode = 0;
    let stderr = '';
    try {
      const result = await exec(process.execPath, ['--import', 'tsx', 'stacks/main.ts'], {
        cwd: dir,
        env: {
          ...process.env,
          CDKTF_OUTDIR: outdir,
          CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS: '1',
          CHECKPOINT_DISABLE: '1',
        },
        maxBuffer: 64 * 1024 * 1024,
      });
      stderr = result.stderr;
    } catch (error) {
      const e = error as { code?: number; stderr?: string; message: string };
      exitCode = typeof e.code === 'number' ? e.code : 1;
      stderr = e.stderr ?? e.message;
    }
    const stacks: Record<string, StackJson> = {};
    const stacksDir = join(outdir, 'stacks');
    if (existsSync(stacksDir)) {
      for (const name of readdirSync(stacksDir)) {
        const file = join(stacksDir, name, 'cdk.tf.json');
        if (existsSync(file)) stacks[name] = JSON.parse(readFileSync(file, 'utf8')) as StackJson;
      }
    }
    if (exitCode !== 0 && Object.keys(stacks).length === 0) {
      throw new InfraDiffError(`synth in ${dir} failed (exit ${exitCode}):\n${stderr.trim()}`);
    }
    return { stacks, exitCode, stderr };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
