import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditLog, type AuditCheckpoint, type AuditEntry } from '@agent-gateway/core';
import { getJson, postJson } from '@agent-gateway/conformance';
import { CLIENT_INFO, connectClient, ERAS, MOUNTS, startMcpGateway, type McpGateway } from './support/mcp-fixture.js';

const CALL_ID = 'agent-gateway/call_id';

async function toolCalls(served: McpGateway): Promise<AuditEntry[]> {
  const lines = (await readFile(served.conformance.auditPath, 'utf8')).trim().split('\n');
  return lines.map((line) => JSON.parse(line) as AuditEntry).filter((entry) => entry.event === 'tool_call');
}

describe.each(MOUNTS)('the audit log after HTTP and MCP calls, served by %s', (mount) => {
  let served: McpGateway;
  /** Call ids the MCP clients got back in `_meta`, by era. */
  const mcpCallIds: Record<string, string[]> = { modern: [], legacy: [] };
  const httpCallIds: string[] = [];

  beforeAll(async () => {
    served = await startMcpGateway(mount);
    const clients = await Promise.all(ERAS.map((era) => connectClient(served.mcpUrl, served.tokens.agent, era)));
    for (let round = 0; round < 3; round += 1) {
      for (const [index, client] of clients.entries()) {
        const era = ERAS[index] ?? 'modern';
        for (const [name, args] of [['echo', { text: `round ${round}` }], ['math.add', { a: round }], ['echo', { text: 7 }]] as const) {
          const result = await client.callTool({ name, arguments: args });
          const id = result._meta?.[CALL_ID];
          if (typeof id === 'string') mcpCallIds[era]?.push(id);
        }
      }
      const http = await postJson(`${served.baseUrl}/tools/call`, { tool: 'echo', args: { text: `http ${round}` } }, served.tokens.agent);
      httpCallIds.push(http.json<{ call_id: string }>().call_id);
    }
    await Promise.all(clients.map((client) => client.close()));
  });
  afterAll(async () => {
    await served?.close();
  });

  it('verifies, against the signed checkpoint, after the mixed run', async () => {
    const response = await getJson(`${served.baseUrl}/admin/audit/checkpoint`, served.tokens.admin);
    const { public_key, checkpoint } = response.json<{ public_key: string; checkpoint: AuditCheckpoint }>();
    await expect(verifyAuditLog(served.conformance.auditPath, { publicKey: public_key, checkpoint })).resolves.toMatchObject({ ok: true });
  });

  it.each(ERAS)('holds every call of the %s client, with via mcp, the client from its handshake, and the call id it was given', async (era) => {
    const calls = await toolCalls(served);
    const mine = calls.filter((entry) => entry.details.via === 'mcp' && (mcpCallIds[era] ?? []).includes(String(entry.details.call_id)));
    // Six that ran (their ids came back in _meta); the refused ones are in the log too.
    expect(mine).toHaveLength(6);
    for (const entry of mine) {
      expect(entry).toMatchObject({ actor: { type: 'user', user: 'agent-1' }, details: { via: 'mcp', client: CLIENT_INFO, outcome: 'ok' } });
    }
    const refused = calls.filter((entry) => entry.details.via === 'mcp' && entry.details.outcome === 'refused');
    expect(refused.length).toBe(6);
    expect(refused.every((entry) => entry.details.code === 'invalid_args')).toBe(true);
  });

  it('holds every HTTP call with via http', async () => {
    const calls = await toolCalls(served);
    const http = calls.filter((entry) => httpCallIds.includes(String(entry.details.call_id)));
    expect(http).toHaveLength(3);
    expect(http.every((entry) => entry.details.via === 'http' && entry.details.client === undefined)).toBe(true);
    // Nothing came in any other way.
    expect(calls.every((entry) => entry.details.via === 'mcp' || entry.details.via === 'http')).toBe(true);
    expect(calls).toHaveLength(6 * 2 + 6 + 3);
  });
});
