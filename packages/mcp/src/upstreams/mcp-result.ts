import type { CallToolResult } from '@modelcontextprotocol/client';

/**
 * Marks a tool result that IS an MCP `CallToolResult` (an upstream's, passed through): the MCP
 * endpoint then sends it as it is (content, structuredContent, isError) instead of wrapping it as
 * JSON text. A registry key, so a second copy of this package recognises it. The mark is a
 * non-enumerable symbol: `/tools/call` answers the bare result, and a result read back from a
 * persistent approval store has lost it (then `looksLikeCallToolResult` is the fallback).
 */
export const MCP_RESULT = Symbol.for('agent-gateway.mcp-call-tool-result');

/** The upstream's result, marked, and otherwise unchanged. */
export function markMcpResult(result: CallToolResult): CallToolResult {
  Object.defineProperty(result, MCP_RESULT, { value: true, enumerable: false });
  return result;
}

/** Whether `value` is an upstream's `CallToolResult` marked by `markMcpResult`. */
export function isMcpResult(value: unknown): value is CallToolResult {
  return typeof value === 'object' && value !== null && Object.getOwnPropertyDescriptor(value, MCP_RESULT)?.value === true;
}

/**
 * The shape of a `CallToolResult` (a `content` array of typed blocks, `isError` a boolean when
 * present), for a result that lost its mark on the way (stored, then read back). Weaker than the
 * mark: a tool of the gateway's own could return this shape on purpose.
 */
export function looksLikeCallToolResult(value: unknown): value is CallToolResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { content, isError } = value as { content?: unknown; isError?: unknown };
  if (!Array.isArray(content)) return false;
  if (isError !== undefined && typeof isError !== 'boolean') return false;
  return content.every((block) => typeof block === 'object' && block !== null && typeof (block as { type?: unknown }).type === 'string');
}
