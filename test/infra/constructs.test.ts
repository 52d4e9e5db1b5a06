import { describe, expect, it } from 'vitest';
import { TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { CloudRunService } from '../../constructs/cloud-run-service.js';
import { ChangeEvents } from '../../constructs/change-events.js';
import { PostgresInstance } from '../../constructs/postgres-instance.js';
import { CiIdentity } from '../../constructs/ci-identity.js';
import { Secrets } from '../../constructs/secrets.js';
import { AuditArchive } from '../../constructs/audit-archive.js';
import { ConstructPropsError } from '../../constructs/validation.js';

const stack = (): TerraformStack => new TerraformStack(Testing.app(), 'test');
const service = {
  projectId: 'p-123456',
  region: 'us-central1',
  name: 'coda-push',
  image: 'img',
  encryptionKeyId: 'k',
  networkId: 'n',
  subnetId: 's',
} as const;

describe('construct prop validation', () => {
  it('CloudRunService rejects minInstances above maxInstances, naming both values and the fix', () => {
    expect(() => new CloudRunService(stack(), 's', { ...service, minInstances: 2, maxInstances: 1 })).toThrow(
      /minInstances \(2\) exceeds maxInstances \(1\); raise maxInstances or lower minInstances/,
    );
  });

  it('CloudRunService refuses unauthenticated load-balancer access without load-balancer ingress', () => {
    expect(() => new CloudRunService(stack(), 's', { ...service, allowUnauthenticatedFromLoadBalancer: true })).toThrow(
      ConstructPropsError,
    );
  });

  it('CloudRunService refuses a variable that is both plain and secret', () => {
    expect(
      () =>
        new CloudRunService(stack(), 's', {
          ...service,
          env: { X_TOKEN: 'a' },
          secretEnv: { X_TOKEN: { secretId: 'x' } },
        }),
    ).toThrow(/X_TOKEN is in both env and secretEnv/);
  });

  it('ChangeEvents enforces Pub/Sub’s 5–100 delivery-attempt range', () => {
    expect(
      () =>
        new ChangeEvents(stack(), 'e', {
          projectId: 'p',
          projectNumber: '1',
          kmsKeyId: 'k',
          pushEndpoint: 'https://x',
          pushAudience: 'https://x',
          maxDeliveryAttempts: 3,
        }),
    ).toThrow(/maxDeliveryAttempts must be an integer between 5 and 100 attempts; received 3/);
  });

  it('PostgresInstance caps PITR log retention at the ENTERPRISE maximum of 7 days', () => {
    expect(
      () =>
        new PostgresInstance(stack(), 'db', {
          projectId: 'p',
          region: 'us-central1',
          name: 'db',
          encryptionKeyId: 'k',
          transactionLogRetentionDays: 8,
        }),
    ).toThrow(/transactionLogRetentionDays must be an integer between 1 and 7 days; received 8/);
  });

  it('skips checks on unresolved tokens', () => {
    const s = stack();
    const days = new TerraformVariable(s, 'days', { type: 'number' }).numberValue;
    expect(
      () =>
        new PostgresInstance(s, 'db', {
          projectId: 'p',
          region: 'us-central1',
          name: 'db',
          encryptionKeyId: 'k',
          transactionLogRetentionDays: days,
        }),
    ).not.toThrow();
  });

  it('CiIdentity refuses owner/editor roles for CI', () => {
    expect(
      () =>
        new CiIdentity(stack(), 'ci', {
          projectId: 'p',
          githubRepository: 'o/r',
          deployEnvironment: 'prod',
          stateBucket: 'b',
          deployRoles: ['roles/owner'],
        }),
    ).toThrow(/roles\/owner is too broad/);
  });

  it('Secrets grants refuse allUsers and unknown secrets', () => {
    const secrets = new Secrets(stack(), 'sec', {
      projectId: 'p',
      region: 'us-central1',
      kmsKeyId: 'k',
      secrets: { 'a-secret': { description: 'd' } },
    });
    expect(() => secrets.grantSecretAccess('a-secret', 'x', 'allUsers')).toThrow(
      /allUsers \/ allAuthenticatedUsers are not allowed/,
    );
    expect(() => secrets.grantSecretAccess('nope', 'x', 'user:a@example.com')).toThrow(/unknown secret "nope"/);
  });

  it('AuditArchive refuses retention shorter than HIPAA’s six years', () => {
    expect(
      () =>
        new AuditArchive(stack(), 'a', {
          projectId: 'p',
          location: 'us-central1',
          bucketName: 'b',
          kmsKeyId: 'k',
          retentionSeconds: 86_400,
        }),
    ).toThrow(/retentionSeconds must be an integer between 189216000 and/);
  });
});
