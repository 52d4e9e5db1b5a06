import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startCodaSandbox, type RunningCodaSandbox, type StartCodaSandboxOptions } from '../../sandbox/coda/index.js';
import { defaultCodaDocSpec, mappingFromCreatedDoc } from '../../sync/coda/mapping.js';

export interface LocalCoda {
  readonly sandbox: RunningCodaSandbox;
  /** CODA_* variables for coda-push against this sandbox. */
  readonly env: Record<string, string>;
}

/**
 * A Coda sandbox holding the default doc (one table per mirror and operational table) and its column map written to
 * `<dir>/coda-mapping.json`, for `npm start`, tests and `platform rehearse` (which names the doc like the stack does).
 */
export async function startLocalCoda(
  dir: string,
  options: Partial<StartCodaSandboxOptions> & { readonly docId?: string } = {},
): Promise<LocalCoda> {
  const token = options.tokens?.[0] ?? `local-${randomBytes(12).toString('hex')}`;
  const { docId = 'feel-august-local', ...sandboxOptions } = options;
  const sandbox = await startCodaSandbox({ ...sandboxOptions, tokens: [token] });
  const created = sandbox.control.createDoc(defaultCodaDocSpec({ docId }));
  const mapping = mappingFromCreatedDoc(created);
  await mkdir(dir, { recursive: true });
  const mappingPath = path.join(dir, 'coda-mapping.json');
  await writeFile(mappingPath, `${JSON.stringify(mapping, null, 2)}\n`);
  return {
    sandbox,
    env: { CODA_BASE_URL: sandbox.url, CODA_API_TOKEN: token, CODA_DOC_ID: mapping.docId, CODA_MAPPING: mappingPath },
  };
}
