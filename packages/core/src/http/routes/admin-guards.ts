import { z } from 'zod';
import { contentRuleInputSchema } from '../../guards/content-filter.js';
import { defineRoute } from '../route.js';
import { jsonResponse } from '../responses.js';

const killSwitchBody = z.object({ enabled: z.boolean(), reason: z.string().max(1000).optional() }).strict();

export const adminGuardRoutes = [
  defineRoute({
    method: 'GET',
    path: '/admin/kill-switch',
    summary: 'Whether the kill switch is on, why, since when and who threw it',
    auth: ['admin', 'approver'],
    handle: ({ services }) => jsonResponse(200, services.killSwitch.state),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/kill-switch',
    summary: 'Turn the kill switch on (every tool call refused with 423) or off; persisted and audited',
    auth: ['admin'],
    body: killSwitchBody,
    async handle({ services, body, caller }) {
      return jsonResponse(200, await services.guards.setKillSwitch(body.enabled, body.reason, caller));
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/content-filter',
    summary: 'The content-filter deny rules',
    auth: ['admin'],
    handle: ({ services }) => jsonResponse(200, { rules: services.contentFilter.list() }),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/content-filter',
    summary: 'Add a literal or regex deny rule (regexes that can backtrack catastrophically are refused)',
    auth: ['admin'],
    body: contentRuleInputSchema,
    async handle({ services, body, caller }) {
      return jsonResponse(201, { rule: await services.guards.addContentRule(body, caller) });
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/admin/content-filter/:id',
    summary: 'Remove a content-filter rule',
    auth: ['admin'],
    async handle({ services, params, caller }) {
      await services.guards.removeContentRule(params.id ?? '', caller);
      return jsonResponse(200, { removed: params.id });
    },
  }),
];
