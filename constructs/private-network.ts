import { Construct } from 'constructs';
import { ComputeNetwork } from '@cdktf/provider-google/lib/compute-network/index.js';
import { ComputeSubnetwork } from '@cdktf/provider-google/lib/compute-subnetwork/index.js';
import { ComputeAddress } from '@cdktf/provider-google/lib/compute-address/index.js';
import { ComputeForwardingRule } from '@cdktf/provider-google/lib/compute-forwarding-rule/index.js';
import { DnsManagedZone } from '@cdktf/provider-google/lib/dns-managed-zone/index.js';
import { DnsRecordSet } from '@cdktf/provider-google/lib/dns-record-set/index.js';
import { ComputeNetworkPeering } from '@cdktf/provider-google/lib/compute-network-peering/index.js';
import { validateFormat } from './validation.js';

export interface PrivateNetworkProps {
  readonly projectId: string;
  /** Region of the private subnet (and of everything that uses it). */
  readonly region: string;
  /**
   * Name of the VPC.
   * @default "platform"
   */
  readonly name?: string;
  /**
   * Primary range of the private subnet, CIDR. Cloud Run Direct VPC egress takes its addresses from here, so keep
   * at least a /26 free per 100 instances.
   * @default "10.10.0.0/24"
   */
  readonly subnetCidr?: string;
  /**
   * Optional peering to the website backend VPC (seed 003), as the network self link. Unset means no peering — the
   * default, because a peering widens the blast radius. Only custom routes are kept private (no export).
   * @default - no peering
   */
  readonly peerNetworkSelfLink?: string;
}

/** What a Private Service Connect endpoint needs from the service it connects to. */
export interface PscTarget {
  /** The producer's service attachment (Cloud SQL: `psc_service_attachment_link`). */
  readonly serviceAttachment: string;
  /** The DNS name clients use (Cloud SQL: `dns_name`, e.g. `abc.us-central1.sql.goog.`). */
  readonly dnsName: string;
}

/**
 * Custom-mode VPC with one private subnet (Private Google Access on, flow logs on) and no default network.
 *
 * Cloud SQL is reached over **Private Service Connect** (an internal address in our subnet forwarding to the
 * instance's service attachment, plus a private DNS zone), not over Private Services Access. PSC was chosen because
 * it needs no peering and no reserved /16, exposes exactly one endpoint per instance, and lets staging and prod keep
 * fully separate networks; PSA and PSC are mutually exclusive on an instance.
 */
export class PrivateNetwork extends Construct {
  readonly network: ComputeNetwork;
  readonly subnet: ComputeSubnetwork;
  private readonly props: PrivateNetworkProps;
  private sqlZone?: DnsManagedZone;

  constructor(scope: Construct, id: string, props: PrivateNetworkProps) {
    super(scope, id);
    validateFormat(
      'PrivateNetwork',
      'subnetCidr',
      props.subnetCidr,
      /^(10|172|192)\.\d{1,3}\.\d{1,3}\.\d{1,3}\/(1[6-9]|2[0-8])$/,
      'a private IPv4 CIDR between /16 and /28 (e.g. "10.10.0.0/24")',
    );
    this.props = props;
    const name = props.name ?? 'platform';

    this.network = new ComputeNetwork(this, 'vpc', {
      project: props.projectId,
      name,
      autoCreateSubnetworks: false,
      routingMode: 'REGIONAL',
      deleteDefaultRoutesOnCreate: false,
    });
    this.subnet = new ComputeSubnetwork(this, 'subnet', {
      project: props.projectId,
      name: `${name}-${props.region}`,
      region: props.region,
      network: this.network.id,
      ipCidrRange: props.subnetCidr ?? '10.10.0.0/24',
      privateIpGoogleAccess: true,
      logConfig: { aggregationInterval: 'INTERVAL_5_SEC', flowSampling: 0.5, metadata: 'INCLUDE_ALL_METADATA' },
    });

    if (props.peerNetworkSelfLink !== undefined) {
      new ComputeNetworkPeering(this, 'peer-website', {
        name: `${name}-to-website`,
        network: this.network.selfLink,
        peerNetwork: props.peerNetworkSelfLink,
        exportCustomRoutes: false,
        importCustomRoutes: false,
      });
    }
  }

  /**
   * Creates a Private Service Connect endpoint for `target` (internal address + forwarding rule) and the private DNS
   * record that makes its `dnsName` resolve to that address inside this VPC.
   */
  addPscEndpoint(id: string, target: PscTarget): ComputeAddress {
    validateFormat(
      'PrivateNetwork',
      `addPscEndpoint(${id}).serviceAttachment`,
      target.serviceAttachment,
      /^projects\/[a-z][-a-z0-9]{4,28}[a-z0-9]\/regions\/[a-z0-9-]+\/serviceAttachments\/[a-z][-a-z0-9]*$/,
      'a service attachment path "projects/<p>/regions/<r>/serviceAttachments/<name>" (pscServiceAttachmentLink)',
    );
    validateFormat(
      'PrivateNetwork',
      `addPscEndpoint(${id}).dnsName`,
      target.dnsName,
      new RegExp(`^([a-z0-9-]+\\.)+${this.props.region}\\.sql\\.goog\\.$`),
      `a Cloud SQL DNS name in this region ending with ".${this.props.region}.sql.goog." (note the final dot)`,
    );
    const address = new ComputeAddress(this, `psc-${id}-ip`, {
      project: this.props.projectId,
      name: `psc-${id}`,
      region: this.props.region,
      addressType: 'INTERNAL',
      subnetwork: this.subnet.id,
    });
    new ComputeForwardingRule(this, `psc-${id}`, {
      project: this.props.projectId,
      name: `psc-${id}`,
      region: this.props.region,
      network: this.network.id,
      ipAddress: address.id,
      loadBalancingScheme: '',
      target: target.serviceAttachment,
    });
    this.sqlZone ??= new DnsManagedZone(this, 'sql-zone', {
      project: this.props.projectId,
      name: 'cloud-sql-psc',
      dnsName: `${this.props.region}.sql.goog.`,
      visibility: 'private',
      privateVisibilityConfig: { networks: [{ networkUrl: this.network.id }] },
    });
    new DnsRecordSet(this, `psc-${id}-dns`, {
      project: this.props.projectId,
      managedZone: this.sqlZone.name,
      name: target.dnsName,
      type: 'A',
      ttl: 300,
      rrdatas: [address.address],
    });
    return address;
  }
}
