import { assertSafeJsonValue } from '@agent-gateway/core/http';
import { isJsonContentType } from '@modelcontextprotocol/server';

/**
 * Most messages one POST may carry. Batches left the protocol with 2025-06-18; 2025-03-26 clients
 * may still send them, and the SDK serves them, one pipeline call (and audit entry) per message:
 * without a bound, one request within the body limit could queue thousands of calls.
 */
export const MAX_BATCH_MESSAGES = 16;

/** A JSON-RPC error the way the SDK's own HTTP refusals are shaped (no id: the request was not read as one). */
function refusal(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: '2.0', error: { code, message }, id: null }, { status });
}

export type BodyCheck = { readonly refused: Response } | { readonly parsedBody: unknown } | { readonly parsedBody?: undefined };

/**
 * The gateway's rules for JSON bodies, applied to MCP messages before the SDK sees them, as
 * `/tools/call` applies them: no nesting deeper than the gateway's limit (recursive walks
 * downstream, the audit log's among them, must not overflow) and no prototype-polluting keys;
 * plus a bound on batches. The parsed body goes on to the SDK, which then does not parse it again.
 * Anything that is not JSON, or not sent as JSON, is left to the SDK, which answers it per spec
 * (-32700, 415).
 */
export async function checkBody(request: Request): Promise<BodyCheck> {
  if (request.method !== 'POST' || request.body === null || !isJsonContentType(request.headers.get('content-type'))) return {};
  let value: unknown;
  try {
    value = JSON.parse(await request.clone().text());
  } catch {
    return {};
  }
  try {
    assertSafeJsonValue(value);
  } catch (error) {
    return { refused: refusal(400, -32600, `Bad Request: ${error instanceof Error ? error.message : 'unsafe JSON'}`) };
  }
  if (Array.isArray(value) && value.length > MAX_BATCH_MESSAGES) {
    return { refused: refusal(400, -32600, `Bad Request: a batch may hold at most ${MAX_BATCH_MESSAGES} messages`) };
  }
  return { parsedBody: value };
}
