// Lint: the layers of DESIGN §2 as import rules, plus a few correctness rules. Formatting is prettier's job.
// Each block says which layer may not import what; a violation names the rule and the fix.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** `no-restricted-imports` patterns for a layer; `allowTypeImports` lets `import type` through. */
const forbid = (groups, message, allowTypeImports = false) => ({ group: groups, message, allowTypeImports });

const HONO = ['hono', 'hono/*', '@hono/*'];
const CDKTF = ['cdktf', 'cdktf/*', '@cdktf/*', 'constructs'];
const layer = (name) => [`**/${name}/**`, `../${name}/*`, `../../${name}/*`, `../../../${name}/*`];
/** Import patterns of several application layers. */
const layers = (...names) => names.flatMap(layer);
/** One layer's block: the files it covers and what they may not import. */
const restrictImports = (files, ...patterns) => ({
  files,
  rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'cdktf.out/**', '.local/**', 'coverage/**', 'drizzle/meta/**'] },
  {
    files: ['**/*.ts', '**/*.js'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: false },
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      // The codebase uses `any` only in tests and at typed-JSON seams; tsc strict covers the rest.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          caughtErrors: 'none',
        },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-undef': 'off', // tsc checks names
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  restrictImports(
    ['sync/**/*.ts'],
    forbid(
      HONO,
      'sync/ is the domain layer and never imports Hono: return results or throw named errors, and let handlers/ map them to HTTP.',
    ),
    forbid(
      layers('handlers', 'cli', 'sandbox', 'stacks', 'constructs', 'shared'),
      'Dependencies point one way (cli, handlers → sync → schema): sync/ may import only schema/, contract/ and itself.',
    ),
    forbid(CDKTF, 'sync/ never imports infrastructure code.'),
  ),
  restrictImports(
    ['schema/**/*.ts'],
    forbid(
      [...HONO, ...CDKTF, ...layers('sync', 'handlers', 'cli', 'sandbox', 'stacks', 'constructs', 'shared')],
      'schema/ only declares tables (drizzle); it imports nothing of the application.',
    ),
  ),
  restrictImports(
    ['contract/**/*.ts'],
    forbid(
      [...HONO, ...CDKTF, ...layers('sync', 'handlers', 'cli', 'sandbox', 'stacks', 'constructs', 'schema', 'shared')],
      'contract/ is a leaf (zod only) that both the stacks and the services import.',
    ),
  ),
  restrictImports(
    ['constructs/**/*.ts', 'stacks/**/*.ts'],
    forbid(
      [...HONO, ...layers('sync', 'handlers', 'cli', 'sandbox', 'shared')],
      'Infrastructure code may import constructs/, contract/ and cdktf only: share a name through contract/, not through the services.',
    ),
  ),
  // shared/ holds the HTTP plumbing that the services (handlers/, cli/) and the sandboxes share — today the one serve()
  // wrapper. Those two may not import each other, and contract/ is the deploy contract (zod only), so the shared
  // piece is a leaf of its own: it may import node:* and @hono/node-server, nothing of the application.
  restrictImports(
    ['shared/**/*.ts'],
    forbid(
      [...CDKTF, ...layers('sync', 'handlers', 'cli', 'sandbox', 'stacks', 'constructs', 'schema', 'contract')],
      'shared/ is a leaf shared by the services and the sandboxes; it imports no application layer.',
    ),
  ),
  restrictImports(
    ['handlers/**/*.ts'],
    forbid(
      [...CDKTF, ...layers('sandbox', 'cli', 'stacks', 'constructs')],
      'handlers/ are the HTTP edge of the services: they call sync/; sandboxes, the CLI and infrastructure stay out.',
    ),
  ),
  restrictImports(
    ['sandbox/**/*.ts'],
    forbid(
      layer('sync'),
      'sandbox/ stands in for outside APIs and may import only types from sync/ (import type …); shared facts belong in contract/.',
      true,
    ),
    forbid(
      [...CDKTF, ...layers('handlers', 'cli', 'stacks', 'constructs')],
      'sandbox/ is independent of the services, the CLI and the infrastructure.',
    ),
  ),
);
