import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Caller } from '../pipeline/caller.js';
import { canonicalJson } from './canonical-json.js';

/** The `prev` of the very first entry of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

export const auditActorSchema = z.union([
  z.object({ type: z.literal('user'), user: z.string(), role: z.string().optional(), jti: z.string().optional() }),
  z.object({ type: z.literal('system'), name: z.string() }),
  z.object({ type: z.literal('anonymous'), address: z.string().optional() }),
]);
export type AuditActor = z.infer<typeof auditActorSchema>;

export const auditEntrySchema = z.object({
  seq: z.number().int().positive(),
  ts: z.string(),
  event: z.string().min(1),
  actor: auditActorSchema,
  details: z.record(z.string(), z.unknown()),
  prev: z.string().regex(/^[0-9a-f]{64}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
/** One line of the audit log. `hash` chains it to `prev`, the hash of the entry before it. */
export type AuditEntry = z.infer<typeof auditEntrySchema>;

/** The part of an entry the hash covers: everything but the hash itself, `prev` included. */
export function entryBody(entry: Omit<AuditEntry, 'hash'>): string {
  return canonicalJson({
    seq: entry.seq,
    ts: entry.ts,
    event: entry.event,
    actor: entry.actor,
    details: entry.details,
    prev: entry.prev,
  });
}

export function hashBody(body: string): string {
  return createHash('sha256').update(body).digest('hex');
}

/** How a caller appears in the audit log. */
export function auditActorOf(caller: Caller): AuditActor {
  if (caller.kind === 'user') {
    return {
      type: 'user',
      user: caller.id,
      ...(caller.role === undefined ? {} : { role: caller.role }),
      ...(caller.tokenId === undefined ? {} : { jti: caller.tokenId }),
    };
  }
  if (caller.kind === 'system') return { type: 'system', name: caller.id };
  return { type: 'anonymous' };
}
