import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { diffInfra, renderMarkdown, type StackJson } from '../../cli/infra/diff.js';
import { runInfraDiff } from '../../cli/infra-diff.js';

const ROOT = resolve(import.meta.dirname, '../..');

const stack = (resources: Record<string, Record<string, unknown>>): StackJson => ({ resource: resources });
const bucket = (extra: Record<string, unknown> = {}) => ({
  '//': { metadata: { path: 'app/bucket' } },
  name: 'b',
  public_access_prevention: 'enforced',
  uniform_bucket_level_access: true,
  labels: { team: 'a' },
  ...extra,
});

describe('diffInfra (pure)', () => {
  it('reports added, removed and changed resources per stack with attribute paths', () => {
    const base = {
      staging: stack({ google_storage_bucket: { b: bucket() }, google_pubsub_topic: { old: { name: 'old' } } }),
    };
    const head = {
      staging: stack({
        google_storage_bucket: { b: bucket({ labels: { team: 'b' } }) },
        google_pubsub_topic: { fresh: { name: 'fresh' } },
      }),
    };
    const { changes, flags } = diffInfra(base, head);
    expect(changes.map((c) => [c.stack, c.address, c.kind])).toEqual([
      ['staging', 'google_pubsub_topic.fresh', 'added'],
      ['staging', 'google_pubsub_topic.old', 'removed'],
      ['staging', 'google_storage_bucket.b', 'changed'],
    ]);
    expect(changes[2]!.attributes).toEqual([{ path: 'labels.team', before: 'a', after: 'b' }]);
    expect(flags).toEqual([]);
  });

  it('ignores cdktf metadata-only differences', () => {
    const head = { s: stack({ google_storage_bucket: { b: { ...bucket(), '//': { metadata: { path: 'moved' } } } } }) };
    expect(diffInfra({ s: stack({ google_storage_bucket: { b: bucket() } }) }, head).changes).toEqual([]);
  });

  it.each([
    ['public access', { public_access_prevention: 'inherited' }, 'Public access'],
    ['retention', { retention_policy: { retention_period: 1 } }, 'Retention and backups'],
    ['CMEK', { encryption: { default_kms_key_name: 'k2' } }, 'CMEK'],
    ['deletion protection', { force_destroy: true }, 'Deletion protection'],
  ])('flags a %s change', (_name, extra, category) => {
    const { flags } = diffInfra(
      { s: stack({ google_storage_bucket: { b: bucket() } }) },
      { s: stack({ google_storage_bucket: { b: bucket(extra) } }) },
    );
    expect(flags.map((f) => f.category)).toContain(category);
  });

  it('flags IAM members, ingress, SSL and org-policy changes', () => {
    const base = {
      s: stack({
        google_cloud_run_v2_service: { run: { ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY' } },
        google_sql_database_instance: { db: { settings: { ip_configuration: { ssl_mode: 'ENCRYPTED_ONLY' } } } },
      }),
    };
    const head = {
      s: stack({
        google_cloud_run_v2_service: { run: { ingress: 'INGRESS_TRAFFIC_ALL' } },
        google_sql_database_instance: {
          db: { settings: { ip_configuration: { ssl_mode: 'ALLOW_UNENCRYPTED_AND_ENCRYPTED' } } },
        },
        google_storage_bucket_iam_member: {
          viewer: { role: 'roles/storage.objectViewer', member: 'user:a@example.com' },
        },
        google_org_policy_policy: { p: { name: 'projects/p/policies/sql.restrictPublicIp' } },
      }),
    };
    const categories = diffInfra(base, head).flags.map((f) => `${f.change.address}:${f.category}`);
    expect(categories).toEqual(
      expect.arrayContaining([
        'google_cloud_run_v2_service.run:Ingress',
        'google_sql_database_instance.db:TLS',
        'google_storage_bucket_iam_member.viewer:IAM',
        'google_org_policy_policy.p:Org policy',
      ]),
    );
  });

  it('renders flagged changes at the top of the Markdown, then per-stack detail', () => {
    const diff = diffInfra(
      { prod: stack({ google_storage_bucket: { b: bucket() } }) },
      { prod: stack({ google_storage_bucket: { b: bucket({ public_access_prevention: 'inherited' }) } }) },
    );
    const md = renderMarkdown(diff, { base: 'main', head: 'pr' });
    expect(md.indexOf('Security-relevant changes')).toBeLessThan(md.indexOf('### Stack `prod`'));
    expect(md).toContain('| prod | `google_storage_bucket.b` | changed | Public access | `public_access_prevention` |');
    expect(md).toContain('- `public_access_prevention`: `"enforced"` → `"inherited"`'.replace('- ', '  - '));
  });
});

/** A tiny cdktf app honouring CDKTF_OUTDIR, run with the rule pack like stacks/main.ts. */
function fixtureMain(bucketConfig: string, extra = ''): string {
  const imp = (p: string) => JSON.stringify(join(ROOT, p));
  return `import { App, Aspects, TerraformStack } from 'cdktf';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider/index.js';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket/index.js';
import { PubsubTopic } from '@cdktf/provider-google/lib/pubsub-topic/index.js';
import { HipaaChecks, policyErrors } from ${imp('constructs/policies/index.ts')};
void PubsubTopic;
const app = new App();
const stack = new TerraformStack(app, 'app');
new GoogleProvider(stack, 'google', { project: 'p' });
new StorageBucket(stack, 'bucket', { name: 'b', location: 'us-central1', uniformBucketLevelAccess: true,
  encryption: { defaultKmsKeyName: 'k' }, ${bucketConfig} });
${extra}
Aspects.of(stack).add(new HipaaChecks());
app.synth();
if (policyErrors(app).length) { console.error(policyErrors(app).map((e) => e.message).join('\\n')); process.exitCode = 1; }
`;
}

describe('platform infra diff (git worktree, end to end)', () => {
  let repo: string;
  const run = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' }).toString();

  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'infra-diff-repo-'));
    run('init', '-q', '-b', 'main');
    run('config', 'user.email', 'test@example.com');
    run('config', 'user.name', 'test');
    symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'), 'dir');
    writeFileSync(join(repo, '.gitignore'), 'node_modules\n');
    mkdirSync(join(repo, 'stacks'));
    writeFileSync(
      join(repo, 'stacks/main.ts'),
      fixtureMain(`publicAccessPrevention: 'enforced', labels: { team: 'a' }`),
    );
    run('add', '.');
    run('commit', '-q', '-m', 'base');
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  const diff = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await runInfraDiff(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) }, { cwd: repo });
    return { code, out, err };
  };

  it('exits 0 for non-security changes and 2 for flagged ones, between commits or against the working tree; worktrees are cleaned up', async () => {
    writeFileSync(
      join(repo, 'stacks/main.ts'),
      fixtureMain(`publicAccessPrevention: 'enforced', labels: { team: 'b' }`),
    );
    const labelsOnly = await diff('--base', 'HEAD');
    expect(labelsOnly.code, labelsOnly.err).toBe(0);
    expect(labelsOnly.out).toContain('  - `labels.team`: `"a"` → `"b"`');
    expect(labelsOnly.out).toContain('No security-relevant changes flagged.');

    // A new resource is reviewed by its attributes too: a new CMEK topic is flagged.
    writeFileSync(
      join(repo, 'stacks/main.ts'),
      fixtureMain(
        `publicAccessPrevention: 'enforced', labels: { team: 'a' }`,
        `new PubsubTopic(stack, 'topic', { name: 't', kmsKeyName: 'k' });`,
      ),
    );
    const added = await diff('--base', 'HEAD');
    expect(added.code, added.err).toBe(2);
    expect(added.out).toContain('| app | `google_pubsub_topic.topic` | added | CMEK | `kms_key_name` |');

    writeFileSync(
      join(repo, 'stacks/main.ts'),
      fixtureMain(`publicAccessPrevention: 'enforced', labels: { team: 'a' }, forceDestroy: true`),
    );
    run('commit', '-q', '-am', 'force destroy');
    const flagged = await diff('--base', 'HEAD~1', '--head', 'HEAD');
    expect(flagged.code, flagged.err).toBe(2);
    expect(flagged.out).toMatch(/Security-relevant changes \(1\)/);
    expect(flagged.out).toContain(
      '| app | `google_storage_bucket.bucket` | changed | Deletion protection | `force_destroy` |',
    );
    expect(run('worktree', 'list').trim().split('\n')).toHaveLength(1);
  }, 60_000);

  it('exits 1 when the head fails the rule pack, and on a bad ref', async () => {
    writeFileSync(join(repo, 'stacks/main.ts'), fixtureMain(`publicAccessPrevention: 'inherited'`));
    const bad = await diff('--base', 'HEAD');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('HIPAA-GCS-2');
    const missing = await diff('--base', 'no-such-ref');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/git rev-parse/);
    expect((await diff()).code).toBe(1);
  }, 60_000);
});
