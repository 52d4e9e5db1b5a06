import { Construct } from 'constructs';
import { ComputeGlobalAddress } from '@cdktf/provider-google/lib/compute-global-address/index.js';
import { ComputeManagedSslCertificate } from '@cdktf/provider-google/lib/compute-managed-ssl-certificate/index.js';
import { ComputeRegionNetworkEndpointGroup } from '@cdktf/provider-google/lib/compute-region-network-endpoint-group/index.js';
import { ComputeBackendService } from '@cdktf/provider-google/lib/compute-backend-service/index.js';
import { ComputeSecurityPolicy } from '@cdktf/provider-google/lib/compute-security-policy/index.js';
import { ComputeUrlMap } from '@cdktf/provider-google/lib/compute-url-map/index.js';
import { ComputeSslPolicy } from '@cdktf/provider-google/lib/compute-ssl-policy/index.js';
import { ComputeTargetHttpsProxy } from '@cdktf/provider-google/lib/compute-target-https-proxy/index.js';
import { ComputeGlobalForwardingRule } from '@cdktf/provider-google/lib/compute-global-forwarding-rule/index.js';
import { IapWebBackendServiceIamMember } from '@cdktf/provider-google/lib/iap-web-backend-service-iam-member/index.js';
import { validateFormat, validateMember, validateRange } from './validation.js';

export interface WebhookIngressProps {
  readonly projectId: string;
  readonly region: string;
  /** Public host name, e.g. "hooks.feelaugust.com" (a Google-managed certificate is issued for it). */
  readonly domain: string;
  /** Cloud Run service the load balancer fronts (drchrono-sync). */
  readonly cloudRunServiceName: string;
  /**
   * Requests per minute per client IP allowed on `/webhooks/*` before Cloud Armor answers 429 (1–10000).
   * DrChrono and Deep Cura send far fewer; this only stops floods.
   * @default 300
   */
  readonly webhookRequestsPerMinute?: number;
  /**
   * Members allowed through IAP to the staff backend (everything except `/webhooks/*` and `/health`).
   * @default none (IAP denies everyone until granted)
   */
  readonly staffMembers?: readonly string[];
}

/**
 * The one public entry point: an external HTTPS load balancer (managed certificate, TLS ≥ 1.2 MODERN policy) with two
 * backends on the same serverless NEG —
 * - **webhooks**: `/webhooks/*` and `/health` only, no Google identity (DrChrono cannot send one; the app verifies
 *   signatures), Cloud Armor per-IP rate limit;
 * - **staff**: every other path, behind IAP (Workspace SSO) with `roles/iap.httpsResourceAccessor` per member;
 *   the app re-checks the IAP JWT and the staff role.
 */
export class WebhookIngress extends Construct {
  readonly address: ComputeGlobalAddress;
  readonly webhookBackend: ComputeBackendService;
  readonly staffBackend: ComputeBackendService;
  readonly securityPolicy: ComputeSecurityPolicy;
  readonly urlMap: ComputeUrlMap;

  constructor(scope: Construct, id: string, props: WebhookIngressProps) {
    super(scope, id);
    validateFormat('WebhookIngress', 'domain', props.domain, /^([a-z0-9-]+\.)+[a-z]{2,}$/, 'a DNS host name');
    validateRange(
      'WebhookIngress',
      'webhookRequestsPerMinute',
      props.webhookRequestsPerMinute,
      1,
      10_000,
      'requests/min',
    );
    const project = props.projectId;

    this.address = new ComputeGlobalAddress(this, 'ip', { project, name: 'ingress-ip' });
    const cert = new ComputeManagedSslCertificate(this, 'cert', {
      project,
      name: 'ingress-cert',
      managed: { domains: [props.domain] },
    });
    const neg = new ComputeRegionNetworkEndpointGroup(this, 'neg', {
      project,
      name: `neg-${props.cloudRunServiceName}`,
      region: props.region,
      networkEndpointType: 'SERVERLESS',
      cloudRun: { service: props.cloudRunServiceName },
    });

    this.securityPolicy = new ComputeSecurityPolicy(this, 'armor', {
      project,
      name: 'webhook-armor',
      description: 'Per-IP rate limit on webhook paths',
      rule: [
        {
          priority: 1000,
          action: 'throttle',
          description: 'Rate limit webhooks per client IP',
          match: { expr: { expression: "request.path.startsWith('/webhooks/')" } },
          rateLimitOptions: {
            conformAction: 'allow',
            exceedAction: 'deny(429)',
            enforceOnKey: 'IP',
            rateLimitThreshold: { count: props.webhookRequestsPerMinute ?? 300, intervalSec: 60 },
          },
        },
        {
          priority: 2147483647,
          action: 'allow',
          description: 'Default allow (authentication happens in IAP or the app)',
          match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } },
        },
      ],
    });

    const backend = (name: string, iap: boolean): ComputeBackendService =>
      new ComputeBackendService(this, name, {
        project,
        name: `${props.cloudRunServiceName}-${name}`,
        protocol: 'HTTPS',
        loadBalancingScheme: 'EXTERNAL_MANAGED',
        securityPolicy: this.securityPolicy.id,
        backend: [{ group: neg.id }],
        logConfig: { enable: true, sampleRate: 1 },
        iap: { enabled: iap },
      });
    this.webhookBackend = backend('webhooks', false);
    this.staffBackend = backend('staff', true);

    this.urlMap = new ComputeUrlMap(this, 'url-map', {
      project,
      name: 'ingress',
      defaultService: this.staffBackend.id,
      hostRule: [{ hosts: [props.domain], pathMatcher: 'main' }],
      pathMatcher: [
        {
          name: 'main',
          defaultService: this.staffBackend.id,
          pathRule: [{ paths: ['/webhooks/*', '/health'], service: this.webhookBackend.id }],
        },
      ],
    });
    const sslPolicy = new ComputeSslPolicy(this, 'ssl-policy', {
      project,
      name: 'tls12-modern',
      profile: 'MODERN',
      minTlsVersion: 'TLS_1_2',
    });
    const proxy = new ComputeTargetHttpsProxy(this, 'https-proxy', {
      project,
      name: 'ingress-https',
      urlMap: this.urlMap.id,
      sslCertificates: [cert.id],
      sslPolicy: sslPolicy.id,
    });
    new ComputeGlobalForwardingRule(this, 'https-rule', {
      project,
      name: 'ingress-https',
      target: proxy.id,
      ipAddress: this.address.id,
      portRange: '443',
      loadBalancingScheme: 'EXTERNAL_MANAGED',
    });

    for (const member of props.staffMembers ?? []) this.grantStaffAccess(member);
  }

  /** Grants `roles/iap.httpsResourceAccessor` on the staff backend only. */
  grantStaffAccess(member: string): IapWebBackendServiceIamMember {
    validateMember('WebhookIngress', 'staffMembers', member);
    return new IapWebBackendServiceIamMember(this, `iap-${member.replace(/[^a-zA-Z0-9]/g, '-')}`, {
      project: this.staffBackend.project,
      webBackendService: this.staffBackend.name,
      role: 'roles/iap.httpsResourceAccessor',
      member,
    });
  }
}
