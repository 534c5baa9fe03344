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
/**
 * Who did what an audit entry records: a user (with role and token id), the system, or an anonymous caller.
 */
export type AuditActor = z.infer<typeof auditActorSchema>;

/** The zod schema of one audit log line, for tools that read the log. */
export const auditEntrySchema = z.object({
  seq: z.number().int().positive(),
  ts: z.string(),
  event: z.string().min(1),
  actor: auditActorSchema,
  details: z.record(z.string(), z.unknown()),
  prev: z.string().regex(/^[0-9a-f]{64}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  /** The OpenTelemetry trace the entry was written in; absent from entries made outside one (and older entries). */
  trace_id: z.string().regex(/^[0-9a-f]{32}$/).optional(),
});
/**
 * One line of the audit log. `hash` chains it to `prev`, the hash of the entry before it; `trace_id`,
 * when present, is covered by the hash like every other field.
 */
export type AuditEntry = z.infer<typeof auditEntrySchema>;

/** The part of an entry the hash covers: everything but the hash itself, `prev` included. */
export function entryBody(entry: Omit<AuditEntry, 'hash'>): string {
  // Built in canonical key order, so the serialiser finds it ordered and does not sort a copy.
  // An entry without a trace id has the body it always had (canonical JSON, like JSON.stringify,
  // leaves an undefined field out): older entries verify as they did.
  return canonicalJson({
    actor: entry.actor,
    details: entry.details,
    event: entry.event,
    prev: entry.prev,
    seq: entry.seq,
    trace_id: entry.trace_id,
    ts: entry.ts,
  });
}

export function hashBody(body: string): string {
  return createHash('sha256').update(body).digest('hex');
}

/** How a caller appears in the audit log; keys in canonical order (see `entryBody`). */
export function auditActorOf(caller: Caller): AuditActor {
  if (caller.kind === 'user') {
    const { role, tokenId: jti } = caller;
    if (jti !== undefined) return role === undefined ? { jti, type: 'user', user: caller.id } : { jti, role, type: 'user', user: caller.id };
    return role === undefined ? { type: 'user', user: caller.id } : { role, type: 'user', user: caller.id };
  }
  if (caller.kind === 'system') return { name: caller.id, type: 'system' };
  return { type: 'anonymous' };
}
