import { z } from 'zod';
import { defineRoute } from '../route.js';
import { jsonResponse } from '../responses.js';

/** `{tool, args}`: the body of `/tools/call` and `/validate`. Unknown keys are refused, not ignored. */
export const toolCallBody = z
  .object({
    tool: z.string().min(1).max(128),
    args: z.unknown().optional(),
  })
  .strict();

export const toolsRoutes = [
  defineRoute({
    method: 'GET',
    path: '/tools',
    summary: 'The registered tools with the JSON Schema of their args',
    auth: 'none',
    handle: ({ gateway }) => jsonResponse(200, { tools: gateway.tools.list() }),
  }),
  defineRoute({
    method: 'POST',
    path: '/validate',
    summary: "Check args against a tool's schema without running it",
    auth: 'none',
    body: toolCallBody,
    handle({ gateway, body }) {
      const issues = gateway.checkArgs(body.tool, body.args ?? {});
      return jsonResponse(200, issues.length === 0 ? { valid: true, tool: body.tool } : { valid: false, tool: body.tool, issues });
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/tools/call',
    summary: 'Call a tool through the full pipeline',
    auth: 'bearer',
    body: toolCallBody,
    async handle({ gateway, body, caller, signal }) {
      const outcome = await gateway.callTool({ tool: body.tool, args: body.args ?? {} }, { caller, signal });
      return jsonResponse(200, { call_id: outcome.callId, tool: outcome.tool, result: outcome.result });
    },
  }),
];
