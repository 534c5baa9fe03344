import { z } from 'zod';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../../errors/index.js';
import { redactionFieldsSchema } from '../../redaction/redaction-rules.js';
import { defineRoute } from '../route.js';
import { jsonResponse } from '../responses.js';

const rulesBody = z.object({ origin: z.string().min(1).max(2048), fields: redactionFieldsSchema }).strict();
const rulesQuery = z.object({ origin: z.string().min(1).max(2048).optional() }).strict();
const snapshotBody = z
  .object({
    origin: z.string().min(1).max(2048).optional(),
    url: z.string().min(1).max(4096).optional(),
    title: z.string().max(1000),
    content: z.union([z.string().max(512 * 1024), z.record(z.string(), z.unknown()), z.array(z.unknown())]),
  })
  .strict()
  .refine((body) => body.origin !== undefined || body.url !== undefined, { message: 'give the origin or the url of the tab' });

export const tabRoutes = [
  defineRoute({
    method: 'POST',
    path: '/tab/redaction-rules',
    summary: "Set an origin's redaction fields (replacing its list); persisted",
    auth: ['admin'],
    body: rulesBody,
    async handle({ services, body, caller }) {
      return jsonResponse(200, await services.tabs.setRules(body.origin, body.fields, caller));
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/tab/redaction-rules',
    summary: '?origin=: that origin\'s fields (anyone; empty when never set). Without it: every origin (admin)',
    auth: 'optional',
    query: rulesQuery,
    async handle({ services, query, caller }) {
      if (query.origin !== undefined) return jsonResponse(200, await services.redaction.get(query.origin));
      if (caller.kind === 'anonymous') throw new UnauthorizedError('listing every origin needs an admin token; or ask for one ?origin=');
      if (caller.role !== 'admin') throw new ForbiddenError('listing every origin needs the admin role');
      return jsonResponse(200, { rules: await services.redaction.list() });
    },
  }),
  defineRoute({
    method: 'PUT',
    path: '/tab/snapshot',
    summary: "Share the current tab with agents: stored redacted by its origin's rules, audited as consent",
    auth: ['admin', 'approver'],
    body: snapshotBody,
    async handle({ services, body, caller }) {
      return jsonResponse(200, await services.tabs.share(body, caller));
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/tab/snapshot',
    summary: 'The tab snapshot the user last shared (redacted)',
    auth: 'bearer',
    handle({ services }) {
      const snapshot = services.tabs.current;
      if (snapshot === undefined) throw new NotFoundError('no tab has been shared');
      return jsonResponse(200, snapshot);
    },
  }),
];
