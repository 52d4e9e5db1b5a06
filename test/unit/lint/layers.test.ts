import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

// The layer rules of eslint.config.js, exercised on probe files: each forbidden import must be reported with its
// rule, and the allowed ones must pass. (npm test also lints the whole tree.)

const ROOT = resolve(import.meta.dirname, '../../..');
let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(ROOT, filePath) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports')
    .map((m) => m.message);
}

describe('import boundaries (eslint.config.js)', () => {
  it.each([
    ['sync/probe.ts', "import { Hono } from 'hono';\nexport const app = new Hono();\n", /never imports Hono/],
    [
      'sync/drchrono/probe.ts',
      "import { errorHandler } from '../../handlers/middleware/errors.js';\nexport { errorHandler };\n",
      /Dependencies point one way/,
    ],
    [
      'constructs/probe.ts',
      "import { mirrors } from '../sync/mirrors.js';\nexport { mirrors };\n",
      /Infrastructure code may import/,
    ],
    [
      'handlers/probe.ts',
      "import { createDrChronoSandbox } from '../sandbox/drchrono/index.js';\nexport { createDrChronoSandbox };\n",
      /handlers\/ are the HTTP edge/,
    ],
    [
      'sandbox/probe.ts',
      "import { mirrors } from '../sync/mirrors.js';\nexport { mirrors };\n",
      /only types from sync/,
    ],
    [
      'contract/probe.ts',
      "import { mirrors } from '../sync/mirrors.js';\nexport { mirrors };\n",
      /contract\/ is a leaf/,
    ],
    [
      'schema/probe.ts',
      "import { mirrors } from '../sync/mirrors.js';\nexport { mirrors };\n",
      /schema\/ only declares tables/,
    ],
  ])('refuses the forbidden import in %s', async (file, code, message) => {
    expect(await problems(file, code)).toEqual([expect.stringMatching(message)]);
  });

  it('lets a sandbox import types from sync and handlers import sync', async () => {
    expect(
      await problems(
        'sandbox/probe.ts',
        "import type { MirrorRow } from '../sync/upsert.js';\nexport type Row = MirrorRow;\n",
      ),
    ).toEqual([]);
    expect(
      await problems('handlers/probe.ts', "import { mirrors } from '../sync/mirrors.js';\nexport { mirrors };\n"),
    ).toEqual([]);
  });
});
