import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface LocalSecrets {
  readonly drchronoWebhookSecret: string;
  /** base64 of 32 bytes. */
  readonly deepcuraKey: string;
}

/**
 * Local-only secrets, generated on first run into `.local/secrets.json` (mode 0600) and reused afterwards, so a
 * webhook command printed yesterday still verifies today. Environment variables override them.
 */
export async function localSecrets(dir: string, env: NodeJS.ProcessEnv): Promise<LocalSecrets> {
  const file = path.join(dir, 'secrets.json');
  let stored: Partial<LocalSecrets>;
  try {
    stored = JSON.parse(await readFile(file, 'utf8')) as Partial<LocalSecrets>;
  } catch {
    stored = {};
  }
  const secrets: LocalSecrets = {
    drchronoWebhookSecret: stored.drchronoWebhookSecret ?? randomBytes(24).toString('hex'),
    deepcuraKey: stored.deepcuraKey ?? randomBytes(32).toString('base64'),
  };
  await mkdir(dir, { recursive: true });
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return {
    drchronoWebhookSecret: env.DRCHRONO_WEBHOOK_SECRET ?? secrets.drchronoWebhookSecret,
    deepcuraKey: env.DEEPCURA_KEY ?? secrets.deepcuraKey,
  };
}
