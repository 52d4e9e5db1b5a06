/**
 * Resource-level diff of synthesized cdktf stacks (cdk.tf.json), with security-relevant changes flagged.
 * Pure functions: no git, no file system — `cli/infra-diff.ts` feeds them.
 */

export type StackJson = { readonly resource?: Record<string, Record<string, unknown>> };

export interface AttributeChange {
  /** Dotted path inside the resource (`settings.ip_configuration.ssl_mode`, list items by index). */
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface ResourceChange {
  readonly stack: string;
  /** Terraform address, `type.name`. */
  readonly address: string;
  readonly type: string;
  readonly kind: 'added' | 'removed' | 'changed';
  /** Changed leaves; for added/removed resources every leaf (from or to unset). */
  readonly attributes: readonly AttributeChange[];
}

export type SecurityCategory =
  | 'IAM'
  | 'Ingress'
  | 'TLS'
  | 'Public access'
  | 'Deletion protection'
  | 'Retention and backups'
  | 'CMEK'
  | 'Org policy'
  | 'Audit logging'
  | 'Authentication'
  | 'Secrets';

export interface SecurityFlag {
  readonly change: ResourceChange;
  readonly category: SecurityCategory;
  /** What triggered the flag (attribute path or "resource added/removed"). */
  readonly reason: string;
}

export interface InfraDiff {
  readonly changes: readonly ResourceChange[];
  readonly flags: readonly SecurityFlag[];
}

/** Resource types whose every change is security-relevant. */
const TYPE_CATEGORIES: ReadonlyArray<[RegExp, SecurityCategory]> = [
  [/_iam_(member|binding|policy)$/, 'IAM'],
  [/^google_service_account_key$/, 'IAM'],
  [/^google_iam_workload_identity_pool(_provider)?$/, 'Authentication'],
  [/^google_org_policy_policy$/, 'Org policy'],
  [/^google_project_iam_audit_config$/, 'Audit logging'],
  [/^google_logging_project_sink$/, 'Audit logging'],
  [/^google_kms_/, 'CMEK'],
  [
    /^google_compute_(firewall|security_policy|global_forwarding_rule|forwarding_rule|url_map|target_https?_proxy|ssl_policy|network_peering)$/,
    'Ingress',
  ],
  [/^google_secret_manager_secret_version$/, 'Secrets'],
];

/** Attribute names (last non-index path segment or any segment) that are security-relevant wherever they appear. */
const ATTRIBUTE_CATEGORIES: ReadonlyArray<[RegExp, SecurityCategory]> = [
  [/(^|\.)(member|members|role)$/, 'IAM'],
  [/(^|\.)service_account(_email)?$/, 'IAM'],
  [/(^|\.)(ingress|invoker_iam_disabled|iap|security_policy|egress)(\.|$)/, 'Ingress'],
  [/(^|\.)(ssl_mode|ssl_policy|min_tls_version|require_ssl)$/, 'TLS'],
  [
    /(^|\.)(ipv4_enabled|authorized_networks|psc_config|public_access_prevention|uniform_bucket_level_access)(\.|$)/,
    'Public access',
  ],
  [/(^|\.)(deletion_protection|deletion_protection_enabled|force_destroy|prevent_destroy)$/, 'Deletion protection'],
  [
    /(^|\.)(retention_policy|backup_configuration|transaction_log_retention_days|point_in_time_recovery_enabled|message_retention_duration|versioning)(\.|$)/,
    'Retention and backups',
  ],
  [
    /(^|\.)(encryption_key_name|kms_key_name|encryption_key|default_kms_key_name|customer_managed_encryption|encryption)(\.|$)/,
    'CMEK',
  ],
  [/(^|\.)(oidc_token|dead_letter_policy|attribute_condition|database_flags)(\.|$)/, 'Authentication'],
  [/(^|\.)(value_source|secret_key_ref)(\.|$)/, 'Secrets'],
];

/** Leaves of a JSON value keyed by dotted path; the cdktf `//` metadata block is skipped. */
export function flatten(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) out.set(prefix, Array.isArray(value) ? [] : {});
    for (const [key, child] of entries) {
      if (key === '//' && prefix === '') continue;
      flatten(child, prefix ? `${prefix}.${key}` : key, out);
    }
  } else {
    out.set(prefix, value);
  }
  return out;
}

function resourcesOf(stack: StackJson | undefined): Map<string, { type: string; attrs: unknown }> {
  const result = new Map<string, { type: string; attrs: unknown }>();
  for (const [type, byName] of Object.entries(stack?.resource ?? {})) {
    for (const [name, attrs] of Object.entries(byName)) result.set(`${type}.${name}`, { type, attrs });
  }
  return result;
}

/** Added, removed and changed resources per stack. Stacks present on one side only count as all added/removed. */
export function diffStacks(
  base: Readonly<Record<string, StackJson>>,
  head: Readonly<Record<string, StackJson>>,
): ResourceChange[] {
  const changes: ResourceChange[] = [];
  const stackNames = [...new Set([...Object.keys(base), ...Object.keys(head)])].sort();
  for (const stack of stackNames) {
    const before = resourcesOf(base[stack]);
    const after = resourcesOf(head[stack]);
    const addresses = [...new Set([...before.keys(), ...after.keys()])].sort();
    for (const address of addresses) {
      const b = before.get(address);
      const a = after.get(address);
      // Added/removed resources carry all their leaves so that flagging sees e.g. a new public bucket.
      if (!b && a) {
        const attributes = [...flatten(a.attrs)].map(([path, after]) => ({ path, before: undefined, after }));
        changes.push({ stack, address, type: a.type, kind: 'added', attributes });
      } else if (b && !a) {
        const attributes = [...flatten(b.attrs)].map(([path, before]) => ({ path, before, after: undefined }));
        changes.push({ stack, address, type: b.type, kind: 'removed', attributes });
      } else if (b && a) {
        const left = flatten(b.attrs);
        const right = flatten(a.attrs);
        const attributes: AttributeChange[] = [];
        for (const path of [...new Set([...left.keys(), ...right.keys()])].sort()) {
          const x = left.get(path);
          const y = right.get(path);
          if (JSON.stringify(x) !== JSON.stringify(y)) attributes.push({ path, before: x, after: y });
        }
        if (attributes.length) changes.push({ stack, address, type: a.type, kind: 'changed', attributes });
      }
    }
  }
  return changes;
}

/** Security flags for a list of changes (one flag per change and category). */
export function flagSecurity(changes: readonly ResourceChange[]): SecurityFlag[] {
  const flags: SecurityFlag[] = [];
  for (const change of changes) {
    const seen = new Set<SecurityCategory>();
    const add = (category: SecurityCategory, reason: string): void => {
      if (seen.has(category)) return;
      seen.add(category);
      flags.push({ change, category, reason });
    };
    for (const [pattern, category] of TYPE_CATEGORIES) {
      if (pattern.test(change.type)) add(category, `${change.type} ${change.kind}`);
    }
    for (const attribute of change.attributes) {
      const path = attribute.path.replace(/\.\d+(?=\.|$)/g, '');
      for (const [pattern, category] of ATTRIBUTE_CATEGORIES) {
        if (pattern.test(path)) add(category, attribute.path);
      }
    }
  }
  return flags;
}

export function diffInfra(
  base: Readonly<Record<string, StackJson>>,
  head: Readonly<Record<string, StackJson>>,
): InfraDiff {
  const changes = diffStacks(base, head);
  return { changes, flags: flagSecurity(changes) };
}

function show(value: unknown): string {
  if (value === undefined) return '(unset)';
  const text = JSON.stringify(value);
  return `\`${text.length > 120 ? `${text.slice(0, 117)}…` : text}\``.replace(/\|/g, '\\|');
}

/** The review comment: flagged changes first, then per stack added / removed / changed with attribute detail. */
export function renderMarkdown(diff: InfraDiff, labels: { base: string; head: string }): string {
  const lines: string[] = [`## Infrastructure diff: \`${labels.base}\` → \`${labels.head}\``, ''];
  if (diff.changes.length === 0) {
    lines.push('No resource changes in any stack.');
    return `${lines.join('\n')}\n`;
  }
  if (diff.flags.length > 0) {
    lines.push(`### ⚠️ Security-relevant changes (${diff.flags.length}) — review required`, '');
    lines.push('| stack | resource | change | category | trigger |', '|---|---|---|---|---|');
    for (const flag of diff.flags) {
      lines.push(
        `| ${flag.change.stack} | \`${flag.change.address}\` | ${flag.change.kind} | ${flag.category} | \`${flag.reason}\` |`,
      );
    }
    lines.push('');
  } else {
    lines.push('No security-relevant changes flagged.', '');
  }
  const stacks = [...new Set(diff.changes.map((c) => c.stack))];
  for (const stack of stacks) {
    const inStack = diff.changes.filter((c) => c.stack === stack);
    const count = (kind: ResourceChange['kind']): number => inStack.filter((c) => c.kind === kind).length;
    lines.push(
      `### Stack \`${stack}\`: ${count('added')} added, ${count('removed')} removed, ${count('changed')} changed`,
      '',
    );
    for (const kind of ['added', 'removed', 'changed'] as const) {
      const items = inStack.filter((c) => c.kind === kind);
      if (items.length === 0) continue;
      lines.push(`**${kind[0]!.toUpperCase()}${kind.slice(1)}**`, '');
      for (const item of items) {
        lines.push(`- \`${item.address}\``);
        if (kind === 'changed')
          for (const a of item.attributes) lines.push(`  - \`${a.path}\`: ${show(a.before)} → ${show(a.after)}`);
      }
      lines.push('');
    }
  }
  return `${lines.join('\n')}\n`;
}
