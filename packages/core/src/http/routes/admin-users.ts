import { z } from 'zod';
import { roleSchema } from '../../auth/roles.js';
import { toolPatternSchema } from '../../auth/tool-allow-list.js';
import { usernameSchema } from '../../auth/user.js';
import { defineRoute } from '../route.js';
import { jsonResponse } from '../responses.js';

const newUserBody = z
  .object({
    username: usernameSchema,
    password: z.string().min(8, 'must be at least 8 characters').max(1024),
    role: roleSchema,
    tools: z.array(toolPatternSchema).max(256).optional(),
  })
  .strict();

export const adminUsersRoutes = [
  defineRoute({
    method: 'POST',
    path: '/admin/users',
    summary: "Create a user, or replace an existing user's password, role and tools (their tokens stop working); names ignore case (409 for another spelling of an existing name)",
    auth: ['admin'],
    body: newUserBody,
    async handle({ services, body, caller }) {
      const { user, created } = await services.auth.createUser(body, { actor: caller });
      return jsonResponse(created ? 201 : 200, { user, created });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/users',
    summary: 'List users (never their password hashes)',
    auth: ['admin'],
    async handle({ services }) {
      return jsonResponse(200, { users: await services.auth.listUsers() });
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/admin/users/:username',
    summary: 'Delete a user; their tokens stop working (the last admin cannot be deleted)',
    auth: ['admin'],
    async handle({ services, params, caller }) {
      const { username } = await services.auth.deleteUser(params.username ?? '', { actor: caller });
      return jsonResponse(200, { deleted: username });
    },
  }),
];
