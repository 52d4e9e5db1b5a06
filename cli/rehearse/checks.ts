import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { changeEventNames } from '../../contract/index.js';
import type { RunningDrChronoSandbox } from '../../sandbox/drchrono/index.js';
import type { RunningGoogleOidcSandbox } from '../../sandbox/google-oidc/index.js';
import type { RunningCodaSandbox } from '../../sandbox/coda/index.js';
import type { CodaMapping } from '../../sync/coda/mapping.js';
import { encodeChangeEvent } from '../../sync/events/types.js';
import { publishTo, subscriptionExists } from './pubsub-from-json.js';
import { spawnInImage, tail } from './services.js';
import { DriftError, type RehearsalStack, type SchedulerJob } from './stack.js';

// What the rehearsal does to the running system once it is up, each naming the resource that drifted when it fails.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Local origin of the Cloud Run service a `https://<service>-<number>.<region>.run.app` URL names. */
export function localOrigin(url: string, services: Readonly<Record<string, string>>, where: string): string {
  const host = new URL(url).hostname;
  const name = Object.keys(services).find((s) =>
    new RegExp(`^${s.replace(/[-.]/g, '\\$&')}-\\d+\\.[a-z0-9-]+\\.run\\.app$`).test(host),
  );
  if (!name)
    throw new DriftError(
      where,
      `${url} is not the URL of a Cloud Run service of the stack (${Object.keys(services).join(', ')})`,
    );
  return services[name]!;
}

/**
 * A signed DrChrono PATIENT_MODIFY delivery to the service the load balancer routes `/webhooks/*` to; the patient is
 * renamed in the DrChrono sandbox first, so its row is recognisable downstream. Returns the patient's id and name.
 */
export async function sendWebhook(options: {
  stack: RehearsalStack;
  services: Readonly<Record<string, string>>;
  drchrono: RunningDrChronoSandbox;
  secret: string;
}) {
  const target = options.stack.ingressServiceFor('/webhooks/*');
  const origin = options.services[target];
  if (!origin)
    throw new DriftError('ingress /webhooks/*', `routes to ${target}, which is not a Cloud Run service of the stack`);
  const firstName = `Rehearsal${randomUUID().slice(0, 8)}`;
  const id = Number(options.drchrono.control.dataset.patient(0).id);
  const patient = options.drchrono.control.update('patients', id, { first_name: firstName });
  const body = JSON.stringify({ receiver: { id: 1 }, object: patient });
  const res = await fetch(`${origin}/webhooks/drchrono`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'X-drchrono-event': 'PATIENT_MODIFY',
      'X-drchrono-delivery': `rehearsal-${randomUUID()}`,
      'X-drchrono-signature': options.secret,
    },
    body,
  });
  const text = await res.text();
  if (!res.ok)
    throw new DriftError(
      `${target} /webhooks/drchrono`,
      `answered ${res.status} to a signed PATIENT_MODIFY (${text.slice(0, 200)})`,
    );
  return { target, id: String(patient.id ?? id), firstName, status: res.status };
}

/** POSTs a scheduler job's URI (host rewritten to the local service) with an OIDC token for its account and audience. */
export async function callSchedulerJob(
  job: SchedulerJob,
  services: Readonly<Record<string, string>>,
  oidc: RunningGoogleOidcSandbox,
): Promise<number> {
  const where = `scheduler job ${job.name}`;
  const uri = new URL(job.uri);
  const local = `${localOrigin(job.uri, services, where)}${uri.pathname}${uri.search}`;
  const token = await oidc.control.mintIdToken({ audience: job.audience, email: job.serviceAccountEmail });
  const res = await fetch(local, {
    method: job.method,
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  if (res.status < 200 || res.status > 299) {
    throw new DriftError(
      where,
      `POST ${uri.pathname}${uri.search} as ${job.serviceAccountEmail} (audience ${job.audience}) answered ${res.status}: ${text.slice(0, 200)}`,
    );
  }
  return res.status;
}

/** Polls the Coda sandbox until the patients table has the patient's row with `firstName`. */
export async function waitForCodaRow(
  coda: RunningCodaSandbox,
  mapping: CodaMapping,
  patientId: string,
  firstName: string,
  timeoutMs = 30_000,
): Promise<void> {
  const table = mapping.tables.patients;
  if (!table) throw new DriftError('coda-mapping', 'has no patients table');
  const nameColumn = table.columns.first_name;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = coda.control.rows(table.tableId).find((r) => String(r.values[table.keyColumn]) === patientId);
    if (row && (!nameColumn || row.values[nameColumn] === firstName)) return;
    if (Date.now() > deadline) {
      throw new DriftError(
        'change-events → coda-push → Coda',
        `patient ${patientId} did not reach the Coda patients table within ${timeoutMs / 1000} s (${row ? 'an older version is there' : 'no row'})`,
      );
    }
    await sleep(250);
  }
}

export interface RunbookCommand {
  readonly argv: readonly string[];
  readonly text: string;
}

/** `npx platform …` and `gcloud pubsub subscriptions pull <id>` commands of a runbook. */
export async function runbookCommands(root: string, runbook: string) {
  const text = await readFile(path.join(root, runbook), 'utf8');
  const platform = [...text.matchAll(/`npx platform ([^`]+)`/g)].map((m) => ({
    argv: m[1]!.trim().split(/\s+/),
    text: `npx platform ${m[1]!.trim()}`,
  }));
  const subscriptions = [...text.matchAll(/gcloud pubsub subscriptions pull\s+([a-z][\w-]+)/g)].map((m) => m[1]!);
  return { platform, subscriptions };
}

export interface DlqRunbookOptions {
  readonly root: string;
  readonly appDir: string;
  readonly stack: RehearsalStack;
  readonly baseEnv: Record<string, string>;
  readonly emulatorHost: string;
  readonly projectId: string;
  /** A row id the event names (so coda-push, receiving it after the replay, finds a row). */
  readonly rowId: number;
}

export const DLQ_RUNBOOK = 'docs/runbooks/dlq-not-empty.md';

/**
 * The DLQ runbook against the running system: a change event published to the stack's dead-letter topic is moved
 * back to the main topic by the runbook's own `npx platform dlq replay` (run as `node dist/cli/main.js dlq replay` in
 * the image), then every subscription the runbook pulls must exist. Returns what the replay printed last.
 */
export async function runDlqRunbook(options: DlqRunbookOptions): Promise<string> {
  const { platform, subscriptions } = await runbookCommands(options.root, DLQ_RUNBOOK);
  const replay = platform.find((c) => c.argv[0] === 'dlq');
  if (!replay) throw new DriftError(DLQ_RUNBOOK, 'has no `npx platform dlq …` command');
  const source = options.stack.subscriptions.find((s) => s.deadLetter);
  if (!source?.deadLetter)
    throw new DriftError('google_pubsub_subscription', 'no subscription has a dead_letter_policy');
  const { deadLetter } = source;
  await publishTo(
    options.emulatorHost,
    options.projectId,
    deadLetter.topic,
    encodeChangeEvent({ table: 'patients', ids: [options.rowId] }).data.toString(),
    {
      table: 'patients',
      count: '1',
      CloudPubSubDeadLetterSourceSubscription: source.name,
    },
  );
  // The dead letter's subscription needs a moment to hold it.
  await sleep(300);
  const child = spawnInImage([process.execPath, 'dist/cli/main.js', ...replay.argv], options.appDir, {
    ...options.baseEnv,
    PUBSUB_PROJECT_ID: options.projectId,
    PUBSUB_EMULATOR_HOST: options.emulatorHost,
  });
  const code = await child.exited;
  const output = child.output();
  const expected = changeEventNames(source.topic).deadLetterSubscription;
  if (code !== 0) {
    throw new DriftError(
      `subscription ${expected}`,
      `\`${replay.text}\` failed (exit ${code}); the stack's dead-letter topic ${deadLetter.topic} has subscription(s) ` +
        `${
          options.stack.subscriptions
            .filter((s) => s.topic === deadLetter.topic)
            .map((s) => s.name)
            .join(', ') || 'none'
        }:\n${tail(output, 5)}`,
    );
  }
  const moved = /moved (\d+) message\(s\) from (\S+) to (\S+)/.exec(output);
  if (!moved || Number(moved[1]) < 1 || moved[3] !== source.topic) {
    throw new DriftError(
      `topic ${deadLetter.topic}`,
      `\`${replay.text}\` did not move the dead letter back to ${source.topic}: ${tail(output, 3)}`,
    );
  }
  // Then every subscription the runbook tells on-call to pull must exist.
  const created = options.stack.subscriptions.map((s) => s.name);
  for (const id of subscriptions) {
    if (!(await subscriptionExists(options.emulatorHost, options.projectId, id))) {
      throw new DriftError(
        `subscription ${id}`,
        `${DLQ_RUNBOOK} pulls it, the stack does not create it (it creates ${created.join(', ')})`,
      );
    }
  }
  return moved[0];
}

/** Every subscription of the stack is one the CLI and the runbooks name (contract `changeEventNames`). */
export function checkSubscriptionNames(stack: RehearsalStack): void {
  for (const s of stack.subscriptions) {
    const names = changeEventNames(s.push || s.deadLetter ? s.topic : s.topic.replace(/-dlq$/, ''));
    const expected = s.push || s.deadLetter ? names.pushSubscription : names.deadLetterSubscription;
    if (s.name !== expected)
      throw new DriftError(
        `subscription ${s.name}`,
        `not what coda-push / platform dlq replay / the runbooks use (${expected})`,
      );
  }
}
