import { basename } from 'node:path';
import { z } from 'zod';
import type { AuditLog } from '../../audit/audit-log.js';
import { ServiceUnavailableError } from '../../errors/index.js';
import type { GatewayServices } from '../../services.js';
import { defineRoute } from '../route.js';
import { jsonResponse } from '../responses.js';

const auditQuery = z
  .object({
    tail: z
      .string()
      .regex(/^\d+$/, 'expected a whole number')
      .transform(Number)
      .pipe(z.number().int().min(1).max(10_000))
      .optional(),
    event: z.string().regex(/^[a-z_.]{1,64}$/, 'expected an event name such as tool_call').optional(),
  })
  .strict();

function auditLogOf(services: GatewayServices): AuditLog {
  if (services.audit === undefined) throw new ServiceUnavailableError('audit_not_configured', 'this gateway has no audit log');
  return services.audit;
}

export const adminAuditRoutes = [
  defineRoute({
    method: 'GET',
    path: '/admin/audit',
    summary: 'The last audit entries (200, or ?tail=N up to 10000), optionally only one ?event=',
    auth: ['admin', 'approver'],
    query: auditQuery,
    async handle({ services, query }) {
      const entries = await auditLogOf(services).tail(query.tail ?? 200, query.event === undefined ? {} : { event: query.event });
      return jsonResponse(200, entries);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/audit/verify',
    summary: 'Walk the hash chain and report the first broken entry',
    auth: ['admin', 'approver'],
    async handle({ services }) {
      return jsonResponse(200, await auditLogOf(services).verify());
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/audit/checkpoint',
    summary: "The audit log's public key (PEM, for `agent-gateway audit verify --key`) and its latest signed checkpoint",
    auth: ['admin', 'approver'],
    handle({ services }) {
      const audit = auditLogOf(services);
      return jsonResponse(200, { public_key: audit.publicKey(), checkpoint: audit.lastCheckpoint ?? null });
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/audit/rotate',
    summary: 'Move the audit file aside and start a new one anchored to it (the chain stays verifiable)',
    auth: ['admin'],
    async handle({ services }) {
      const { rotatedTo } = await auditLogOf(services).rotate();
      return jsonResponse(200, { rotated_to: basename(rotatedTo) });
    },
  }),
];
