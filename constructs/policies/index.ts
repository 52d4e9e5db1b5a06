export { HipaaChecks, policyErrors, suppressRule, type Finding } from './hipaa-checks.js';
export { RESOURCE_RULES, STACK_RULES, REQUIRED_ORG_POLICIES, type ResourceRule, type StackRule } from './rules.js';
