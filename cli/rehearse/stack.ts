import type { TerraformJson } from '../../stacks/synth.js';
import {
  createTerraformResolver,
  UnresolvedReferenceError,
  type ApplyTimeValues,
} from '../../stacks/terraform-refs.js';

// What the rehearsal reads from a synthesized stack: the Cloud Run services and job, Pub/Sub, secrets, Cloud SQL users
// and scheduler jobs, each with its Terraform references resolved to the local stand-ins' values.

/** A step found the stack, the contract and the running system disagreeing; `resource` names what drifted. */
export class DriftError extends Error {
  override name = 'DriftError';
  constructor(
    readonly resource: string,
    detail: string,
  ) {
    super(`${resource}: ${detail}`);
  }
}

/** One container env entry as synthesized: a plain value or a Secret Manager reference. */
export interface EnvEntry {
  readonly name: string;
  readonly value?: string;
  readonly value_source?: { readonly secret_key_ref: { readonly secret: string; readonly version: string } };
}

export interface CloudRunWorkload {
  readonly name: string;
  /** The project it runs in (its secrets' project). */
  readonly project: string;
  readonly serviceAccountEmail: string;
  readonly env: readonly EnvEntry[];
  /** The job's `command` + `args` (services run the image's entry point). */
  readonly command?: readonly string[];
}

export interface Subscription {
  readonly name: string;
  readonly topic: string;
  readonly ackDeadlineSeconds: number;
  readonly retry?: { readonly minimumBackoffSeconds: number; readonly maximumBackoffSeconds: number };
  readonly deadLetter?: { readonly topic: string; readonly maxDeliveryAttempts: number };
  readonly push?: { readonly endpoint: string; readonly serviceAccountEmail: string; readonly audience: string };
}

export interface SchedulerJob {
  readonly name: string;
  readonly uri: string;
  readonly method: string;
  readonly serviceAccountEmail: string;
  readonly audience: string;
}

/** The values only known after apply, as the rehearsal stands in for them (the SQL endpoint is local Postgres). */
export const REHEARSAL_APPLY_TIME_VALUES: ApplyTimeValues = {
  address: '127.0.0.1',
  projectNumber: '123456789012',
  generatedId: '4242424242424242424',
};

type Attrs = Record<string, any>;
const seconds = (value: unknown, fallback: number) =>
  typeof value === 'string' && /^\d+s$/.test(value) ? Number(value.slice(0, -1)) : fallback;

/** The rehearsal's view of one synthesized stack; every getter resolves references and throws DriftError when it cannot. */
export function readStack(json: TerraformJson) {
  const resolver = createTerraformResolver(json, REHEARSAL_APPLY_TIME_VALUES);
  const all = (type: string): Attrs[] => Object.values(json.resource?.[type] ?? {}) as Attrs[];
  const resolve = (value: string, where: string): string => {
    try {
      return resolver.resolve(value);
    } catch (error) {
      if (error instanceof UnresolvedReferenceError) throw new DriftError(where, error.message);
      throw error;
    }
  };
  const topicName = (ref: string, where: string) => resolve(ref, where).replace(/^projects\/[^/]+\/topics\//, '');

  const services: CloudRunWorkload[] = all('google_cloud_run_v2_service').map((s) => ({
    name: s.name as string,
    project: s.project as string,
    serviceAccountEmail: resolve(s.template.service_account, `service ${s.name}`),
    env: (s.template.containers[0].env ?? []) as EnvEntry[],
  }));
  const jobs: CloudRunWorkload[] = all('google_cloud_run_v2_job').map((j) => {
    const container = j.template.template.containers[0];
    return {
      name: j.name as string,
      project: j.project as string,
      serviceAccountEmail: resolve(j.template.template.service_account, `job ${j.name}`),
      env: (container.env ?? []) as EnvEntry[],
      command: [...(container.command ?? []), ...(container.args ?? [])] as string[],
    };
  });
  const subscriptions: Subscription[] = all('google_pubsub_subscription').map((s) => {
    const where = `subscription ${s.name}`;
    return {
      name: s.name,
      topic: topicName(s.topic, where),
      ackDeadlineSeconds: s.ack_deadline_seconds ?? 10,
      ...(s.retry_policy && {
        retry: {
          minimumBackoffSeconds: seconds(s.retry_policy.minimum_backoff, 10),
          maximumBackoffSeconds: seconds(s.retry_policy.maximum_backoff, 600),
        },
      }),
      ...(s.dead_letter_policy && {
        deadLetter: {
          topic: topicName(s.dead_letter_policy.dead_letter_topic, where),
          maxDeliveryAttempts: s.dead_letter_policy.max_delivery_attempts ?? 5,
        },
      }),
      ...(s.push_config && {
        push: {
          endpoint: resolve(s.push_config.push_endpoint, where),
          serviceAccountEmail: resolve(s.push_config.oidc_token?.service_account_email ?? '', where),
          audience: resolve(s.push_config.oidc_token?.audience ?? '', where),
        },
      }),
    };
  });
  const scheduler: SchedulerJob[] = all('google_cloud_scheduler_job').map((j) => {
    const where = `scheduler job ${j.name}`;
    return {
      name: j.name,
      uri: resolve(j.http_target.uri, where),
      method: j.http_target.http_method ?? 'POST',
      serviceAccountEmail: resolve(j.http_target.oidc_token?.service_account_email ?? '', where),
      audience: resolve(j.http_target.oidc_token?.audience ?? '', where),
    };
  });
  /** `${type.name.attr}` → the resource's attributes (references between resources, not values). */
  const referenced = (ref: unknown, where: string): Attrs => {
    const m = typeof ref === 'string' ? /^\$\{([\w-]+)\.([\w-]+)\.[\w]+\}$/.exec(ref) : null;
    const found = m ? (json.resource?.[m[1]!]?.[m[2]!] as Attrs | undefined) : undefined;
    if (!found) throw new DriftError(where, `does not reference a resource of the stack (${String(ref)})`);
    return found;
  };
  /** The Cloud Run service the external load balancer sends `path` to (url map → backend service → serverless NEG). */
  const ingressServiceFor = (path: string): string => {
    for (const map of all('google_compute_url_map')) {
      for (const matcher of map.path_matcher ?? []) {
        const rule = (matcher.path_rule ?? []).find((r: Attrs) => (r.paths as string[]).includes(path));
        if (!rule) continue;
        const where = `url map ${map.name} ${path}`;
        const backend = referenced(rule.service, where);
        const neg = referenced(backend.backend?.[0]?.group, `backend service ${backend.name}`);
        const service = neg.cloud_run?.service;
        if (typeof service !== 'string')
          throw new DriftError(`network endpoint group ${neg.name}`, 'has no cloud_run.service');
        return service;
      }
    }
    throw new DriftError('google_compute_url_map', `no path rule routes ${path}`);
  };
  return {
    resolve,
    ingressServiceFor,
    services,
    jobs,
    topics: all('google_pubsub_topic').map((t) => t.name as string),
    subscriptions,
    scheduler,
    /** `projects/<p>/secrets/<id>` of every secret the stack creates. */
    secrets: all('google_secret_manager_secret').map((s) => ({
      project: s.project as string,
      id: s.secret_id as string,
    })),
    sqlUsers: all('google_sql_user').map((u) => ({
      name: resolve(u.name, 'google_sql_user'),
      type: u.type as string | undefined,
    })),
    databases: all('google_sql_database').map((d) => d.name as string),
  };
}
export type RehearsalStack = ReturnType<typeof readStack>;
