import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, Gateway } from '@agent-gateway/core';
import { getJson, postJson } from '@agent-gateway/conformance';
import type { Client } from '@modelcontextprotocol/client';
import { connectClient, ERAS, MOUNTS, startMcpGateway, textOf, type McpGateway } from './support/mcp-fixture.js';

const APPROVAL_ID = 'agent-gateway/approval_id';
const ERROR = 'agent-gateway/error';

/** The id of the next approval the gateway is asked for. */
function nextApproval(gateway: Gateway): Promise<string> {
  return new Promise((resolve) => {
    const onChange = (change: { type: string; approval: { id: string } }): void => {
      if (change.type !== 'approval.requested') return;
      gateway.approvals.off('change', onChange);
      resolve(change.approval.id);
    };
    gateway.approvals.on('change', onChange);
  });
}

/** An approver decides over HTTP, as a person would from another terminal. */
async function decide(served: McpGateway, id: string, decision: 'approve' | 'reject', reason?: string): Promise<void> {
  const response = await postJson(`${served.baseUrl}/approvals/${id}/${decision}`, reason === undefined ? {} : { reason }, served.tokens.approver);
  expect(response.status, response.text).toBe(200);
}

async function auditEntries(served: McpGateway, event: string): Promise<AuditEntry[]> {
  const lines = (await readFile(served.conformance.auditPath, 'utf8')).trim().split('\n');
  return lines.map((line) => JSON.parse(line) as AuditEntry).filter((entry) => entry.event === event);
}

describe.each(MOUNTS)('approval over MCP, served by %s', (mount) => {
  let served: McpGateway;
  let impatient: McpGateway;
  beforeAll(async () => {
    [served, impatient] = await Promise.all([
      startMcpGateway(mount, { approvalWaitMs: 30_000, progressIntervalMs: 100 }),
      startMcpGateway(mount, { approvalWaitMs: 200 }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([served?.close(), impatient?.close()]);
  });

  describe.each(ERAS)('%s client', (era) => {
    let client: Client;
    beforeAll(async () => {
      client = await connectClient(served.mcpUrl, served.tokens.agent, era);
    });
    afterAll(async () => {
      await client?.close();
    });

    it('holds the call open, with progress, until it is approved, then answers with the real result', async () => {
      const runsBefore = served.conformance.probe.approvalToolRuns;
      const requested = nextApproval(served.gateway);
      const progress: Array<{ progress: number; message?: string }> = [];
      const call = client.callTool({ name: 'risky', arguments: {} }, { onprogress: (update) => progress.push(update), resetTimeoutOnProgress: true });
      const id = await requested;
      // Nothing runs before a person decides.
      expect(served.conformance.probe.approvalToolRuns).toBe(runsBefore);
      await decide(served, id, 'approve');
      const result = await call;
      expect(result.isError).not.toBe(true);
      expect(JSON.parse(textOf(result))).toEqual({ ran: true });
      expect(result._meta).toMatchObject({ [APPROVAL_ID]: id, 'agent-gateway/call_id': expect.any(String) });
      expect(served.conformance.probe.approvalToolRuns).toBe(runsBefore + 1);
      expect(progress.length).toBeGreaterThan(0);
      expect(progress[0]?.message).toContain(`approval ${id}`);
    });

    it('answers a rejection with a tool error saying who rejected it and why; the tool never runs', async () => {
      const runsBefore = served.conformance.probe.approvalToolRuns;
      const requested = nextApproval(served.gateway);
      const call = client.callTool({ name: 'risky', arguments: {} });
      const id = await requested;
      await decide(served, id, 'reject', 'not on a Friday');
      const result = await call;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain('rejected by approver-1: not on a Friday');
      expect(result._meta).toMatchObject({ [ERROR]: { code: 'approval_rejected', status: 403, details: { approval_id: id, decided_by: 'approver-1' } } });
      expect(served.conformance.probe.approvalToolRuns).toBe(runsBefore);
    });

    it('when the wait ends first: a tool error with the approval id and where to learn the outcome; approved later, it runs once', async () => {
      const late = await connectClient(impatient.mcpUrl, impatient.tokens.agent, era);
      const runsBefore = impatient.conformance.probe.approvalToolRuns;
      const result = await late.callTool({ name: 'risky', arguments: {} });
      await late.close();
      expect(result.isError).toBe(true);
      const id = result._meta?.[APPROVAL_ID];
      expect(typeof id).toBe('string');
      expect(result._meta).toMatchObject({ [ERROR]: { code: 'approval_pending', status: 202, details: { state: 'pending', approval_id: id } } });
      expect(textOf(result)).toContain(`GET /approvals/${String(id)}`);
      expect(impatient.conformance.probe.approvalToolRuns).toBe(runsBefore);
      // The approval is still the person's to decide; the caller finds the outcome where the error said.
      await decide(impatient, String(id), 'approve');
      const outcome = await getJson(`${impatient.baseUrl}/approvals/${String(id)}`, impatient.tokens.agent);
      expect(outcome.json()).toMatchObject({ state: 'executed', result: { ran: true } });
      expect(impatient.conformance.probe.approvalToolRuns).toBe(runsBefore + 1);
    });

    it('a caller who cancels while held leaves the approval pending, audited as abandoned', async () => {
      const requested = nextApproval(served.gateway);
      const controller = new AbortController();
      const call = client.callTool({ name: 'risky', arguments: {} }, { signal: controller.signal }).catch((error: unknown) => error);
      const id = await requested;
      controller.abort();
      expect(await call).toBeInstanceOf(Error);
      let abandoned: AuditEntry | undefined;
      for (let tries = 0; tries < 200 && abandoned === undefined; tries += 1) {
        abandoned = (await auditEntries(served, 'approval_abandoned')).find((entry) => entry.details.approval_id === id);
        if (abandoned === undefined) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(abandoned).toMatchObject({ actor: { type: 'user', user: 'agent-1' }, details: { approval_id: id, tool: 'risky', via: 'mcp', reason: 'caller_left' } });
      expect((await served.gateway.approvals.get(id)).state).toBe('pending');
      await decide(served, id, 'reject', 'cleaning up');
    });
  });
});

describe('closing the gateway while a call is held', () => {
  it.each(ERAS)('ends the %s hold at once, audited as abandoned by the closing gateway, before the audit log closes', async (era) => {
    const served = await startMcpGateway('node', { approvalWaitMs: 600_000 });
    try {
      const client = await connectClient(served.mcpUrl, served.tokens.agent, era);
      const requested = nextApproval(served.gateway);
      const call = client.callTool({ name: 'risky', arguments: {} }).catch((error: unknown) => error);
      const id = await requested;
      // With a ten-minute wait, this resolves only because closing ends the hold.
      await served.gateway.close();
      const abandoned = (await auditEntries(served, 'approval_abandoned')).find((entry) => entry.details.approval_id === id);
      expect(abandoned).toMatchObject({ details: { reason: 'gateway_closed', tool: 'risky' } });
      await call;
      await client.close().catch(() => undefined);
    } finally {
      await served.close();
    }
  });
});
