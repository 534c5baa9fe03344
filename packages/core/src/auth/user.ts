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
  /**
   * This user instance, minted when the user is created and carried in every token (`uid`): a user
   * deleted and created again under the same name is a different user, so old tokens stay dead.
   */
  id: z.uuid(),
  /** Always in the form `normalizeUsername` gives. */
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
/** A user as stored: normalised name, instance id, role, allow-list, password hash and token version. */
export type UserRecord = z.infer<typeof userRecordSchema>;

/** A user as files written before instance ids may hold it: without an `id`, which loading mints. */
export const storedUserSchema = userRecordSchema.extend({ id: z.uuid().optional() });
/** A user as an older users file may hold it (without an instance id). */
export type StoredUser = z.infer<typeof storedUserSchema>;

/** A user as the admin API shows it: never the hash. */
export interface UserView {
  /** The user instance: a user created again under the same name gets a new one. */
  readonly id: string;
  readonly username: string;
  readonly role: UserRecord['role'];
  readonly tools: readonly string[] | null;
  readonly created_at: string;
  readonly updated_at: string;
}

export function viewOfUser(user: UserRecord): UserView {
  return {
    id: user.id,
    username: user.username,
    role: user.role,
    tools: user.tools ?? null,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  };
}
