import { pathToFileURL } from 'node:url';
import { localCommand } from './commands/local.js';
import { migrateCommand } from './commands/migrate.js';
import { serveCommand } from './commands/serve.js';
import { ConfigError } from './config.js';
import { processIo, type Io } from './io.js';

type Command = (argv: string[], io: Io) => Promise<number>;

const commands: Record<string, { run: Command; help: string }> = {
  local: { run: localCommand, help: 'run the whole platform locally on embedded defaults (npm start); --once exits after start-up' },
  migrate: { run: migrateCommand, help: 'apply database migrations to DATABASE_URL (idempotent)' },
  serve: { run: serveCommand, help: 'serve one service: drchrono-sync | coda-push (the container entry point)' },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return `usage: platform <command> [options]\n\n${Object.entries(commands)
    .map(([name, c]) => `  ${name.padEnd(width)}  ${c.help}`)
    .join('\n')}\n`;
}

/** Runs one CLI invocation and returns its exit code; the only layer that turns errors into exit codes. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    (name && name !== 'help' && name !== '--help' ? io.stderr : io.stdout)(usage());
    return name && name !== 'help' && name !== '--help' ? 64 : 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`${error.message}\n`);
      return 78;
    }
    io.stderr(`platform ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href || process.argv[1]?.endsWith('cli/bin.js')) {
  process.exitCode = await main(process.argv.slice(2));
}
