import type { Io } from '../io.js';

const USAGE = 'usage: platform rehearse <staging|prod>\n';

/**
 * `platform rehearse <stack>`: synthesizes the stack, builds the runtime as the Dockerfile does and runs the deploy
 * against local stand-ins (README "Deploy rehearsal"). One line per step; exit 1 naming the resource and variable on
 * the first drift.
 */
export async function rehearseCommand(argv: string[], io: Io): Promise<number> {
  const [stackName, ...rest] = argv;
  if (!stackName || rest.length > 0 || !['staging', 'prod'].includes(stackName)) {
    io.stderr(USAGE);
    return 64;
  }
  const { rehearse } = await import('../rehearse/index.js');
  const result = await rehearse({ stackName, print: (line) => io.stdout(`${line}\n`) });
  return result.ok ? 0 : 1;
}
