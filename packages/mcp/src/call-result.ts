import { ERROR_STATUS, isGatewayError, type ErrorBody } from '@agent-gateway/core';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { META } from './tool-list.js';
import { isMcpResult } from './upstreams/mcp-result.js';

/** Text a model reads: a string result as it is, anything else as JSON. */
function textOf(result: unknown): string {
  if (typeof result === 'string') return result;
  return JSON.stringify(result) ?? 'null';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A tool's result as MCP content: the text (JSON) every client reads, plus `structuredContent` when
 * the tool declares an object result schema and returned an object. The call id is in `_meta`, the
 * same id as in the audit log.
 */
export function successResult(result: unknown, callId: string, structured: boolean, approvalId?: string): CallToolResult {
  const meta = { [META.callId]: callId, ...(approvalId === undefined ? {} : { [META.approvalId]: approvalId }) };
  // An upstream's own result (images, structured content, its isError) reaches the client as the upstream sent it.
  if (isMcpResult(result)) return { ...result, _meta: { ...result._meta, ...meta } };
  return {
    content: [{ type: 'text', text: textOf(result) }],
    ...(structured && isPlainObject(result) ? { structuredContent: result } : {}),
    _meta: meta,
  };
}

export type ErrorFields = ErrorBody['error'] & { readonly status: number; readonly retryAfterSeconds?: number };

/** The error as the HTTP API would answer it: scrubbed of secrets; a non-GatewayError reveals nothing. */
export function errorFieldsOf(error: unknown): ErrorFields {
  if (!isGatewayError(error)) return { code: 'internal_error', message: 'internal error', status: ERROR_STATUS.internal_error };
  const retryAfter = Number(error.headers['retry-after']);
  return { ...error.toJSON().error, status: error.status, ...(Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {}) };
}

function describe(fields: ErrorFields): string {
  const lines = [`${fields.code}: ${fields.message}`];
  // The gateway's messages often name their issues already; the rest are listed one a line.
  for (const issue of fields.issues ?? []) {
    if (!fields.message.includes(issue.message)) lines.push(`- ${issue.path === '' ? '(args)' : issue.path}: ${issue.message}`);
  }
  return lines.join('\n');
}

/**
 * A refusal or failure as a tool error (`isError: true`): the model reads what went wrong and can
 * correct itself (invalid args list every issue), and a program finds the gateway's error code,
 * status and details in `_meta`, as `/tools/call` would have answered them.
 */
export function toolErrorResult(fields: ErrorFields, extra: Record<string, unknown> = {}): CallToolResult {
  const { code, status, details, retryAfterSeconds } = fields;
  return {
    content: [{ type: 'text', text: describe(fields) }],
    isError: true,
    _meta: {
      [META.error]: {
        code,
        status,
        ...(details === undefined ? {} : { details }),
        ...(retryAfterSeconds === undefined ? {} : { retry_after_seconds: retryAfterSeconds }),
      },
      ...extra,
    },
  };
}
