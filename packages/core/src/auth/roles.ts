import { z } from 'zod';

/**
 * `admin` may do everything; `approver` decides approvals and reads the audit log; `agent` calls
 * tools. Approvers do not call tools: the one who approves a risky call must not be able to make it.
 */
export const roleSchema = z.enum(['admin', 'approver', 'agent']);
/**
 * A user's role: `admin` does everything, `approver` decides approvals and reads the audit log, `agent` calls
 * tools.
 */
export type Role = z.infer<typeof roleSchema>;

/** Every role. */
export const ROLES: readonly Role[] = roleSchema.options;

/** Whether a role may call tools at all (admin and agent; an approver may not). */
export function mayCallTools(role: Role): boolean {
  return role === 'admin' || role === 'agent';
}
