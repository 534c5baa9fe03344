import { z } from 'zod';

/**
 * `admin` may do everything; `approver` decides approvals and reads the audit log; `agent` calls
 * tools. Approvers do not call tools: the one who approves a risky call must not be able to make it.
 */
export const roleSchema = z.enum(['admin', 'approver', 'agent']);
export type Role = z.infer<typeof roleSchema>;

export const ROLES: readonly Role[] = roleSchema.options;

export function mayCallTools(role: Role): boolean {
  return role === 'admin' || role === 'agent';
}
