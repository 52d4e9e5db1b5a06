import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { diffInfra, renderMarkdown } from './infra/diff.js';
import { git, InfraDiffError, synthesizeCheckout, withWorktree, type CheckoutSynth } from './infra/checkout.js';

export interface InfraDiffIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
}

const USAGE = `usage: platform infra diff --base <git-ref> [--head <git-ref>] [--output <file.md>]

Synthesizes the cdktf stacks at <base> and at <head> (default: the working tree), offline, and prints a Markdown
resource-level diff with security-relevant changes flagged first.
Exit codes: 0 no flagged changes, 2 security-relevant changes flagged, 1 error (including rule-pack failures on head).`;

/**
 * `platform infra diff`. Returns the exit code; never calls process.exit.
 * @param options.cwd repository directory (default: process.cwd()); tests point it at a fixture repository.
 */
export async function runInfraDiff(argv: string[], io: InfraDiffIo, options: { cwd?: string } = {}): Promise<number> {
  let values: { base?: string; head?: string; output?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        base: { type: 'string' },
        head: { type: 'string' },
        output: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    io.stderr(`${(error as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (!values.base) {
    io.stderr(`--base is required\n${USAGE}\n`);
    return 1;
  }

  try {
    const root = await git(options.cwd ?? process.cwd(), ['rev-parse', '--show-toplevel']);
    const base = await withWorktree(root, values.base, synthesizeCheckout);
    const head: CheckoutSynth = values.head
      ? await withWorktree(root, values.head, synthesizeCheckout)
      : await synthesizeCheckout(root);
    const headLabel = values.head ?? 'working tree';
    if (head.exitCode !== 0) {
      io.stderr(`synth of ${headLabel} failed the rule pack (exit ${head.exitCode}):\n${head.stderr.trim()}\n`);
      return 1;
    }
    const diff = diffInfra(base.stacks, head.stacks);
    const markdown = renderMarkdown(diff, { base: values.base, head: headLabel });
    io.stdout(markdown);
    if (values.output) writeFileSync(values.output, markdown);
    return diff.flags.length > 0 ? 2 : 0;
  } catch (error) {
    if (error instanceof InfraDiffError) {
      io.stderr(`infra diff: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
