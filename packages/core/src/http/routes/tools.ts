import { z } from 'zod';
import { settledResult } from '../../approvals/call-outcome.js';
import { scrubIssues } from '../../errors/gateway-error.js';
import type { Caller } from '../../pipeline/caller.js';
import type { ToolCallOptions } from '../../pipeline/tool-call.js';
import { normalizeOrigin } from '../../redaction/origin.js';
import { traceApprovalWait } from '../../tracing/index.js';
import { toolCallBodySchema } from '../openapi.js';
import { defineRoute } from '../route.js';
import { jsonResponse } from '../responses.js';

/** Longest a caller may hold a request open waiting for an approval decision. */
export const MAX_WAIT_SECONDS = 60;

/** `{tool, args}`: the body of `/validate`. Unknown keys are refused, not ignored. */
export const toolCallBody = z
  .object({
    tool: z.string().min(1).max(128),
    args: z.unknown().optional(),
  })
  .strict();

const HTTP_CONTEXT = { via: 'http' } as const;

/** A call's options from a route. The client's signal is passed on unread: it is made only if the tool or a wait uses it. */
class HttpCallOptions implements ToolCallOptions {
  readonly context = HTTP_CONTEXT;
  readonly #route: { readonly signal: AbortSignal };

  constructor(
    readonly caller: Caller,
    route: { readonly signal: AbortSignal },
  ) {
    this.#route = route;
  }

  get signal(): AbortSignal {
    return this.#route.signal;
  }
}

/**
 * `/tools/call` also takes `wait` (seconds to hold the request open if the call needs approval) and
 * `origin` (the web origin the args came from: its redaction rules apply wherever the args are shown).
 */
const callBody = toolCallBody
  .extend({
    wait: z.number().min(0).max(MAX_WAIT_SECONDS).optional(),
    origin: z.string().min(1).max(2048).transform((value) => normalizeOrigin(value, { fromUrl: true })).optional(),
  })
  .strict();

export const toolsRoutes = [
  defineRoute({
    method: 'GET',
    path: '/tools',
    summary: 'The registered tools with the JSON Schema of their args',
    auth: 'none',
    handle: ({ services }) => jsonResponse(200, { tools: services.tools.list() }),
  }),
  defineRoute({
    method: 'POST',
    path: '/validate',
    summary: "Check args against a tool's schema without running it",
    auth: 'none',
    body: toolCallBody,
    describeBody: (services) => toolCallBodySchema(services),
    async handle({ services, body }) {
      const issues = scrubIssues(await services.checkArgs(body.tool, body.args ?? {}));
      return jsonResponse(200, issues.length === 0 ? { valid: true, tool: body.tool } : { valid: false, tool: body.tool, issues });
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/tools/call',
    summary: 'Call a tool through the full pipeline; 202 with an approval id when it needs approval',
    auth: 'bearer',
    body: callBody,
    describeBody: (services) =>
      toolCallBodySchema(services, {
        wait: { type: 'number', minimum: 0, maximum: MAX_WAIT_SECONDS, description: 'Seconds to wait for an approval decision' },
        origin: { type: 'string', description: 'The web origin the args came from; its redaction rules apply' },
      }),
    async handle(route) {
      const { services, body, caller } = route;
      const request = { tool: body.tool, args: body.args ?? {}, ...(body.origin === undefined ? {} : { origin: body.origin }) };
      const outcome = await services.callTool(request, new HttpCallOptions(caller, route));
      if (outcome.status === 'executed') {
        return jsonResponse(200, { call_id: outcome.callId, tool: outcome.tool, result: outcome.result });
      }
      const { approvalId } = outcome;
      const seconds = body.wait;
      const waited = seconds === undefined ? undefined : await traceApprovalWait(approvalId, () => services.approvals.wait(approvalId, seconds * 1000, route.signal));
      const settled = waited === undefined ? undefined : settledResult(waited);
      if (settled !== undefined) {
        return jsonResponse(200, { call_id: outcome.callId, tool: outcome.tool, result: settled.result, approval_id: outcome.approvalId });
      }
      return jsonResponse(202, {
        status: 'pending',
        approval_id: outcome.approvalId,
        expires_at: outcome.expiresAt,
        call_id: outcome.callId,
        tool: outcome.tool,
      });
    },
  }),
];
