import { z } from 'zod';
import { roleSchema } from './roles.js';
import { toolPatternSchema } from './tool-allow-list.js';

export const usernameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._@-]+$/, 'expected 1..64 letters, digits or . _ @ -');

/** A user as stored. `passwordHash` is a PHC scrypt string; the password itself is never kept. */
export const userRecordSchema = z.object({
  username: usernameSchema,
  role: roleSchema,
  passwordHash: z.string().min(1),
  /** Tool-name globs this user may call; absent means every tool. */
  tools: z.array(toolPatternSchema).optional(),
  /** Raised when the password changes: tokens carrying an older version stop working. */
  tokenVersion: z.number().int().nonnegative(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type UserRecord = z.infer<typeof userRecordSchema>;

/** A user as the admin API shows it: never the hash. */
export interface UserView {
  readonly username: string;
  readonly role: UserRecord['role'];
  readonly tools: readonly string[] | null;
  readonly created_at: string;
  readonly updated_at: string;
}

export function viewOfUser(user: UserRecord): UserView {
  return {
    username: user.username,
    role: user.role,
    tools: user.tools ?? null,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  };
}
