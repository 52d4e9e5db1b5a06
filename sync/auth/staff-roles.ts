import type { Sql } from 'postgres';
import { staffRoleNames } from '../../schema/operations.js';

export type StaffRole = (typeof staffRoleNames)[number];

/**
 * The roles `email` holds right now (grants whose `revoked_at` is null), sorted. One person may hold several roles
 * (the unique index is on email + role), so this is a list; empty when there is no active grant.
 * Emails are stored lower-cased (a CHECK enforces it), so the lookup lower-cases its input.
 */
export async function staffRolesFor(sql: Sql, email: string): Promise<StaffRole[]> {
  const rows = await sql<{ role: StaffRole }[]>`
    SELECT role FROM staff_roles WHERE email = lower(${email}) AND revoked_at IS NULL ORDER BY role`;
  return rows.map((r) => r.role);
}

/** True when `email` holds at least one of `allowedRoles` in an active grant. */
export async function hasStaffRole(sql: Sql, email: string, allowedRoles: readonly StaffRole[]): Promise<boolean> {
  if (allowedRoles.length === 0) return false;
  const rows = await sql`
    SELECT 1 FROM staff_roles
     WHERE email = lower(${email}) AND revoked_at IS NULL AND role = ANY(${sql.array([...allowedRoles])})
     LIMIT 1`;
  return rows.length > 0;
}
