import { z } from 'zod';
import { roleSchema } from '../../auth/roles.js';
import { checkPolicy } from '../../policy/policy-check.js';
import type { PolicySetInfo } from '../../policy/policy-engine.js';
import { defineRoute } from '../route.js';
import { jsonResponse } from '../responses.js';

const checkBody = z
  .object({
    caller: z.object({ id: z.string().min(1).max(200), role: roleSchema.optional(), kind: z.enum(['user', 'system', 'anonymous']).optional() }).strict(),
    tool: z.string().min(1).max(200),
    args: z.unknown(),
    origin: z.string().max(2000).optional(),
    client: z.string().min(1).max(50).optional(),
    time: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

function setView(info: PolicySetInfo | undefined) {
  return info === undefined ? null : { policies: info.policies, digest: info.digest, loaded_at: info.loadedAt };
}

export const adminPoliciesRoutes = [
  defineRoute({
    method: 'GET',
    path: '/admin/policies',
    summary: 'Whether a policy engine is configured and which policy set is serving (count, digest, when loaded)',
    auth: ['admin'],
    handle: ({ services }) => {
      const { policies } = services;
      return jsonResponse(200, { configured: policies.configured, engine: policies.engine?.name ?? null, current: setView(policies.current) });
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/policies/reload',
    summary: 'Load the policy file again; a set that does not validate is refused (422 invalid_policy) and the previous one keeps serving. Audited',
    auth: ['admin'],
    async handle({ services, caller }) {
      return jsonResponse(200, setView(await services.policies.reload(caller)));
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/policies/check',
    summary: 'Dry run: what the policy set would decide for a caller, tool and args (validated as a call), at a time; nothing runs. Audited',
    auth: ['admin'],
    body: checkBody,
    async handle({ services, caller, body }) {
      const { args, ...rest } = body;
      return jsonResponse(200, await checkPolicy(services, caller, { ...rest, args }));
    },
  }),
];
