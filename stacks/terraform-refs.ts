import type { TerraformJson } from './synth.js';

// Resolves the Terraform expressions a synthesized stack leaves in attribute values (`${google_service_account.x.email}`,
// `${data.google_project.project.number}`, `${trimsuffix(…, "…")}`) to concrete values, so the stack's Cloud Run
// environments can be checked by the services' own schemas (test/infra/contract.test.ts) and run locally
// (`platform rehearse`). What Terraform only learns at apply time (addresses, project number, generated ids) comes
// from `known`; anything else unresolvable is an error naming the expression.

/** Values only known after apply, by attribute (what a local rehearsal stands in for). */
export interface ApplyTimeValues {
  /** `data.google_project.*.number`. @default '123456789012' */
  readonly projectNumber?: string;
  /** `google_compute_address.*.address` (the Cloud SQL endpoint). @default '10.0.0.5' */
  readonly address?: string;
  /** `google_compute_backend_service.*.generated_id`. @default '1234567890123456789' */
  readonly generatedId?: string;
  /** `var.<name>`. @default {} */
  readonly variables?: Readonly<Record<string, string>>;
}

/** An expression the resolver does not know how to evaluate; `expression` is the text inside `${…}`. */
export class UnresolvedReferenceError extends Error {
  override name = 'UnresolvedReferenceError';
  constructor(
    readonly expression: string,
    reason: string,
  ) {
    super(`cannot resolve \${${expression}}: ${reason}`);
  }
}

type Attrs = Record<string, unknown>;

export function createTerraformResolver(json: TerraformJson, known: ApplyTimeValues = {}) {
  const resource = (type: string, name: string): Attrs => {
    const found = (json.resource?.[type] as Record<string, Attrs> | undefined)?.[name];
    if (!found) throw new UnresolvedReferenceError(`${type}.${name}`, 'no such resource in the stack');
    return found;
  };
  const literal = (attrs: Attrs, attr: string, expression: string): string => {
    const value = attrs[attr];
    if (typeof value !== 'string' && typeof value !== 'number')
      throw new UnresolvedReferenceError(expression, `attribute ${attr} is not a literal`);
    return resolve(String(value));
  };

  function reference(expression: string): string {
    const parts = expression.split('.');
    if (parts[0] === 'var' && parts.length === 2) {
      const value = known.variables?.[parts[1]!];
      if (value === undefined) throw new UnresolvedReferenceError(expression, 'no value given for this variable');
      return value;
    }
    if (parts[0] === 'data' && parts[1] === 'google_project' && parts[3] === 'number')
      return known.projectNumber ?? '123456789012';
    const [type, name, attr] = parts;
    if (!type || !name || !attr || parts.length !== 3)
      throw new UnresolvedReferenceError(expression, 'not a <type>.<name>.<attribute> reference');
    const attrs = resource(type, name);
    if (type === 'google_service_account' && attr === 'email') {
      return `${literal(attrs, 'account_id', expression)}@${literal(attrs, 'project', expression)}.iam.gserviceaccount.com`;
    }
    if (type === 'google_compute_address' && attr === 'address') return known.address ?? '10.0.0.5';
    if (attr === 'generated_id') return known.generatedId ?? '1234567890123456789';
    if (attr === 'id' && type === 'google_pubsub_topic')
      return `projects/${literal(attrs, 'project', expression)}/topics/${literal(attrs, 'name', expression)}`;
    return literal(attrs, attr, expression);
  }

  function evaluate(expression: string): string {
    const call = /^trimsuffix\((.+),\s*"([^"]*)"\)$/.exec(expression.trim());
    if (call) {
      const value = evaluate(call[1]!);
      return value.endsWith(call[2]!) ? value.slice(0, -call[2]!.length) : value;
    }
    if (!/^[\w.-]+$/.test(expression.trim())) throw new UnresolvedReferenceError(expression, 'unsupported expression');
    return reference(expression.trim());
  }

  /** `value` with every `${…}` replaced by its value. */
  function resolve(value: string): string {
    return value.replace(/\$\{([^{}]+)\}/g, (_, expression: string) => evaluate(expression));
  }

  return { resolve, resource };
}
