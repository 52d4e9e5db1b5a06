import { randomBytes } from 'node:crypto';
import { ANONYMIZE_KEY_SECRET, SECRETS, type SecretId } from '../../contract/index.js';
import { DEFAULT_CLIENT } from '../../sandbox/drchrono/index.js';
import { startSecretManagerSandbox, type RunningSecretManagerSandbox } from '../../sandbox/secret-manager/index.js';
import { serializeTokenPair } from '../../sync/drchrono/token-store.js';
import { DriftError, type RehearsalStack } from './stack.js';

// The Secret Manager sandbox holding every secret the stack creates, with test values added the way an operator
// adds real ones (`gcloud secrets versions add <id>`): by the contract's secret id. A secret the stack creates that
// the contract does not know gets no value; a secret of the contract the stack does not create is drift.

export interface SecretInputs {
  /** A fresh token pair from the DrChrono sandbox (`control.issueTokenPair()`). */
  readonly drchronoTokenPair: { access_token: string; refresh_token: string; expires_in: number };
  readonly codaToken: string;
  /** The column map JSON of the Coda sandbox's doc. */
  readonly codaMappingJson: string;
}

/** Secrets an operator adds values to: the contract's, and (prod) the anonymize job's key (its runbook step 5). */
export type RehearsalSecretId = SecretId | typeof ANONYMIZE_KEY_SECRET;

/** One test value per contract secret (a new secret in the contract does not compile until it has one here). */
export function testSecretValues(inputs: SecretInputs): Record<RehearsalSecretId, string> {
  const pair = inputs.drchronoTokenPair;
  return {
    'drchrono-client-id': DEFAULT_CLIENT.clientId,
    'drchrono-client-secret': DEFAULT_CLIENT.clientSecret,
    'drchrono-token': serializeTokenPair({
      accessToken: pair.access_token,
      refreshToken: pair.refresh_token,
      expiresAt: new Date(Date.now() + pair.expires_in * 1000),
    }),
    'drchrono-webhook-secret': randomBytes(24).toString('hex'),
    'deepcura-key': randomBytes(32).toString('base64'),
    'coda-api-token': inputs.codaToken,
    'coda-mapping': inputs.codaMappingJson,
    [ANONYMIZE_KEY_SECRET]: randomBytes(48).toString('base64'),
  };
}

export interface SecretStore {
  readonly sandbox: RunningSecretManagerSandbox;
  /** Secrets created, as `projects/<p>/secrets/<id>`. */
  readonly created: readonly string[];
  /** The latest value of `projects/<p>/secrets/<id>` at `version`, as Cloud Run resolves a `secret_key_ref`; null when the secret or version does not exist. */
  access(name: string, version: string): Promise<string | null>;
  close(): Promise<void>;
}

/**
 * Starts the sandbox (accepting `accessToken`, the token the reading identity's metadata stand-in hands out), creates
 * every `google_secret_manager_secret` of the stack and adds the contract's test value to each.
 * @throws {DriftError} naming a secret the contract has and the stack does not create, or the reverse
 */
export async function seedSecretManager(
  stack: RehearsalStack,
  values: Record<RehearsalSecretId, string>,
  accessToken: string,
): Promise<SecretStore> {
  const sandbox = await startSecretManagerSandbox({ accessToken });
  const request = async (path: string, init: RequestInit = {}) =>
    fetch(`${sandbox.url}/${path}`, {
      ...init,
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    });
  try {
    const createdIds = new Set(stack.secrets.map((s) => s.id));
    for (const id of Object.keys(SECRETS)) {
      if (!createdIds.has(id))
        throw new DriftError(
          `secret ${id}`,
          `the contract's secret (${SECRETS[id as SecretId].env ?? 'DRCHRONO_TOKEN_STORE'} of ${SECRETS[id as SecretId].service}) is not created by the stack`,
        );
    }
    const created: string[] = [];
    for (const secret of stack.secrets) {
      const name = `projects/${secret.project}/secrets/${secret.id}`;
      sandbox.control.createSecret(name);
      created.push(name);
      if (!Object.hasOwn(values, secret.id)) {
        throw new DriftError(
          `secret ${secret.id}`,
          'the stack creates it but the contract (SECRETS) has no such secret, so nothing ever adds a value to it',
        );
      }
      const data = Buffer.from(values[secret.id as RehearsalSecretId], 'utf8').toString('base64');
      const res = await request(`${name}:addVersion`, { method: 'POST', body: JSON.stringify({ payload: { data } }) });
      if (!res.ok) throw new Error(`Secret Manager sandbox answered ${res.status} to addVersion of ${name}`);
      await res.arrayBuffer();
    }
    return {
      sandbox,
      created,
      async access(name, version) {
        const res = await request(`${name}/versions/${version}:access`);
        if (res.status === 404) return (await res.arrayBuffer(), null);
        if (!res.ok)
          throw new Error(`Secret Manager sandbox answered ${res.status} to access ${name}/versions/${version}`);
        const body = (await res.json()) as { payload: { data: string } };
        return Buffer.from(body.payload.data, 'base64').toString('utf8');
      },
      close: () => sandbox.close(),
    };
  } catch (error) {
    await sandbox.close();
    throw error;
  }
}
