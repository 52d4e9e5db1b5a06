/**
 * Reading synthesized Terraform attributes. Nested blocks appear as an object or as a one-element list depending on
 * the block's max items, so `at()` unwraps single-element lists on the way down.
 */

export type Attributes = Record<string, unknown>;

function unwrap(value: unknown): unknown {
  return Array.isArray(value) && value.length === 1 ? value[0] : value;
}

/** Value at a dotted path (`settings.ip_configuration.ipv4_enabled`), or undefined. */
export function at(attrs: unknown, path: string): unknown {
  let current: unknown = attrs;
  for (const key of path.split('.')) {
    current = unwrap(current);
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** A block list at a path, always as an array (empty when absent). */
export function list(attrs: unknown, path: string): unknown[] {
  const value = at(attrs, path);
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Terraform booleans may arrive as `true` or `"true"`. */
export function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

export function isFalse(value: unknown): boolean {
  return value === false || value === 'false';
}

/** Set and not an empty string. References (`${…}`) count as set. */
export function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}
