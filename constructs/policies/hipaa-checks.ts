import type { IConstruct } from 'constructs';
import {
  Annotations,
  DefaultTokenResolver,
  StringConcat,
  TerraformResource,
  TerraformStack,
  Tokenization,
  type IAspect,
} from 'cdktf';
import type { Attributes } from './attributes.js';
import { appliesTo, RESOURCE_RULES, STACK_RULES } from './rules.js';

/** One rule violation. */
export interface Finding {
  readonly ruleId: string;
  /** Construct path of the offending resource (or the stack for stack rules). */
  readonly path: string;
  readonly message: string;
}

const SUPPRESSIONS = Symbol.for('feel-august/hipaa-suppressions');

interface Suppressible {
  [SUPPRESSIONS]?: Map<string, string>;
}

/**
 * Records a documented exception to one rule on one construct (and its children). The reason is printed as an info
 * annotation at synth, so every exception is visible in review.
 * @throws Error when the reason is shorter than 20 characters.
 */
export function suppressRule(construct: IConstruct, ruleId: string, reason: string): void {
  if (reason.trim().length < 20) {
    throw new Error(`suppressRule: ${ruleId} on ${construct.node.path} needs a reason of at least 20 characters`);
  }
  const target = construct as IConstruct & Suppressible;
  target[SUPPRESSIONS] ??= new Map();
  target[SUPPRESSIONS].set(ruleId, reason);
}

function suppression(node: IConstruct, ruleId: string): string | undefined {
  for (let current: IConstruct | undefined = node; current; current = current.node.scope) {
    const reason = (current as IConstruct & Suppressible)[SUPPRESSIONS]?.get(ruleId);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

const RESOLVER = new DefaultTokenResolver(new StringConcat());

/** The resolved attributes of a resource as they will appear in cdk.tf.json (overrides included). */
function attributesOf(resource: TerraformResource): Attributes {
  const json = Tokenization.resolve(resource.toTerraform(), {
    scope: TerraformStack.of(resource),
    preparing: false,
    resolver: RESOLVER,
  }) as {
    resource?: Record<string, Record<string, Attributes>>;
  };
  const byType = json.resource?.[resource.terraformResourceType] ?? {};
  return Object.values(byType)[0] ?? {};
}

/**
 * The HIPAA rule pack as a cdktf Aspect. Add it to **each stack** (`Aspects.of(stack).add(new HipaaChecks())`):
 * every violation becomes an error annotation `[RULE-ID] problem. Fix: …` on the offending construct, which makes
 * `cdktf synth` print `ERROR [path]` and exit 1. Findings are also kept on the instance for in-process callers.
 */
export class HipaaChecks implements IAspect {
  readonly findings: Finding[] = [];

  visit(node: IConstruct): void {
    if (TerraformStack.isStack(node)) {
      this.checkStack(node);
      return;
    }
    if (!TerraformResource.isTerraformResource(node)) return;
    const type = node.terraformResourceType;
    const rules = RESOURCE_RULES.filter((rule) => appliesTo(rule, type));
    if (rules.length === 0) return;
    const attrs = attributesOf(node);
    for (const rule of rules) {
      const problem = rule.check(attrs, type);
      if (problem !== undefined) this.report(node, rule.id, problem, rule.fix);
    }
  }

  private checkStack(stack: TerraformStack): void {
    const resources = new Map<string, Attributes[]>();
    for (const child of stack.node.findAll()) {
      if (!TerraformResource.isTerraformResource(child)) continue;
      const list = resources.get(child.terraformResourceType) ?? [];
      list.push(attributesOf(child));
      resources.set(child.terraformResourceType, list);
    }
    for (const rule of STACK_RULES) {
      const problem = rule.check(resources);
      if (problem !== undefined) this.report(stack, rule.id, problem, rule.fix);
    }
  }

  private report(node: IConstruct, ruleId: string, problem: string, fix: string): void {
    const reason = suppression(node, ruleId);
    if (reason !== undefined) {
      Annotations.of(node).addInfo(`[${ruleId}] suppressed: ${reason}`);
      return;
    }
    const message = `[${ruleId}] ${problem}. Fix: ${fix}`;
    this.findings.push({ ruleId, path: node.node.path, message });
    Annotations.of(node).addError(message);
  }
}

/**
 * Error annotations under `scope` (after synthesis ran the aspects). Code that synthesizes without the cdktf CLI
 * must call this and fail: `app.synth()` does not throw on error annotations when
 * CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS is set, and `Testing.synth` never does.
 */
export function policyErrors(scope: IConstruct): Finding[] {
  const errors: Finding[] = [];
  for (const node of scope.node.findAll()) {
    for (const entry of node.node.metadata) {
      if (entry.type === '@cdktf/error') {
        const message = String(entry.data);
        errors.push({ ruleId: /^\[([^\]]+)\]/.exec(message)?.[1] ?? 'CDKTF', path: node.node.path, message });
      }
    }
  }
  return errors;
}
