import { z } from 'zod';
import type { ApprovalChange } from '../../approvals/approval-queue.js';
import { approvalEventStream } from '../../approvals/approval-stream.js';
import { sameUsername } from '../../auth/username.js';
import { summaryOf } from '../../approvals/approval.js';
import { NotFoundError } from '../../errors/index.js';
import type { Caller } from '../../pipeline/caller.js';
import type { GatewayServices } from '../../services.js';
import { defineRoute } from '../route.js';
import { eventStreamResponse, jsonResponse } from '../responses.js';
import { MAX_WAIT_SECONDS } from './tools.js';

const decisionBody = z.object({ reason: z.string().max(1000).optional() }).strict();
const waitQuery = z
  .object({
    wait: z
      .string()
      .regex(/^\d+(\.\d+)?$/, 'expected seconds')
      .transform(Number)
      .pipe(z.number().max(MAX_WAIT_SECONDS))
      .optional(),
  })
  .strict();

function isApprover(caller: Caller): boolean {
  return caller.role === 'admin' || caller.role === 'approver';
}

function lastEventId(header: string | readonly string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

interface StreamPresenters {
  readonly full: (change: ApprovalChange) => unknown;
  readonly summary: (change: ApprovalChange) => unknown;
}

const streamPresenters = new WeakMap<GatewayServices, StreamPresenters>();

/**
 * One presenter per audience and gateway, the same function for every stream client: the stream
 * formats each change once per presenter, so all approvers share one view and everyone else one summary.
 */
function presentersFor(services: GatewayServices): StreamPresenters {
  let presenters = streamPresenters.get(services);
  if (presenters === undefined) {
    presenters = { full: (change) => services.approvalView(change.approval), summary: (change) => summaryOf(change.approval) };
    streamPresenters.set(services, presenters);
  }
  return presenters;
}

/** `POST /approvals/:id/approve` and `/reject`: the same shape, a different decision. */
function decisionRoute(decision: 'approve' | 'reject', summary: string) {
  return defineRoute({
    method: 'POST',
    path: `/approvals/:id/${decision}`,
    summary,
    auth: ['admin', 'approver'],
    body: decisionBody,
    bodyOptional: true,
    async handle({ services, caller, params, body }) {
      const approval = await services.approvals[decision](params.id ?? '', caller, body?.reason);
      // An approval that a quorum still waits on: accepted, with the progress (`approvals`, `required`).
      return jsonResponse(approval.state === 'pending' ? 202 : 200, services.approvalView(approval));
    },
  });
}

export const approvalsRoutes = [
  defineRoute({
    method: 'GET',
    path: '/approvals',
    summary: 'Pending approvals: a summary for anyone, the full view (args, caller) for admins and approvers',
    auth: 'optional',
    async handle({ services, caller }) {
      const pending = await services.approvals.list({ state: 'pending' });
      const full = isApprover(caller);
      return jsonResponse(200, { approvals: pending.map((a) => (full ? services.approvalView(a) : summaryOf(a))) });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/approvals/stream',
    summary: 'Server-Sent Events of every approval change, with ids and Last-Event-ID replay',
    auth: 'optional',
    produces: 'text/event-stream',
    handle({ services, caller, request }) {
      const presenters = presentersFor(services);
      const present = isApprover(caller) ? presenters.full : presenters.summary;
      const from = lastEventId(request.headers['last-event-id']);
      // A signed-in client's stream lasts as long as its session: revoked or expired, the stream ends
      // (within a second) and the client reconnects with a fresh token or not at all.
      const authorization = request.headers.authorization;
      const stillAllowed =
        caller.kind === 'user' && typeof authorization === 'string'
          ? () => services.auth.authenticateHeader(authorization).then(() => true, () => false)
          : undefined;
      return eventStreamResponse((signal) =>
        approvalEventStream(services.approvals, signal, {
          present,
          ...(from === undefined ? {} : { lastEventId: from }),
          ...(stillAllowed === undefined ? {} : { stillAllowed }),
        }),
      );
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/approvals/:id',
    summary: 'One approval with its state and, once run, its result; ?wait=SECONDS long-polls for a decision',
    auth: 'bearer',
    query: waitQuery,
    async handle({ services, caller, params, query, signal }) {
      const id = params.id ?? '';
      const approval = await services.approvals.get(id);
      // Only its caller and the people who decide may see a held call; to others it does not exist.
      if (!isApprover(caller) && !(approval.caller.kind === 'user' && sameUsername(approval.caller.id, caller.id))) throw new NotFoundError(`no approval ${JSON.stringify(id)}`);
      const current = query.wait === undefined ? approval : await services.approvals.wait(id, query.wait * 1000, signal);
      return jsonResponse(200, services.approvalView(current));
    },
  }),
  decisionRoute('approve', 'Approve a pending call; it runs once, as its caller, and the answer carries its outcome'),
  decisionRoute('reject', 'Reject a pending call'),
];
