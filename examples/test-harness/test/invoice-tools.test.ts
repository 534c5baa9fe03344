// How a host unit-tests its own tools: an in-process Gateway, no HTTP, no files, no sandbox.
import { beforeEach, describe, expect, it } from 'vitest';
import { Gateway, InvalidArgsError, settledResult, silentLogger, systemCaller, type ToolCallFailedEvent } from '@agent-gateway/core';
import { invoiceSend, invoiceTotal, sentInvoices } from '../src/invoice-tools.js';

describe('the invoice tools, through the gateway pipeline', () => {
  let gateway: Gateway;
  beforeEach(() => {
    sentInvoices.length = 0;
    gateway = new Gateway({ logger: silentLogger }).registerTool(invoiceTotal).registerTool(invoiceSend);
  });

  it('computes totals with schema defaults applied', async () => {
    const outcome = await gateway.callTool({ tool: 'invoice.total', args: { lines: [{ amount: 10, quantity: 3 }, { amount: 5 }] } });
    expect(outcome).toMatchObject({ status: 'executed', result: { net: 35, tax: 7, gross: 42 } });
  });

  it('refuses bad args the way an agent would see it (422 with the issues)', async () => {
    const error = await gateway.callTool({ tool: 'invoice.total', args: { lines: [] } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgsError);
    expect((error as InvalidArgsError).issues).toEqual([{ path: 'lines', message: expect.stringMatching(/>=1/) }]);
  });

  it('holds a large invoice for approval, and sends it once approved', async () => {
    const held = await gateway.callTool({ tool: 'invoice.send', args: { to: 'ann@example.com', amount: 5000 } }, { caller: systemCaller('billing-job') });
    expect(held.status).toBe('pending');
    expect(sentInvoices).toEqual([]);
    if (held.status !== 'pending') return;
    const decided = await gateway.approvals.approve(held.approvalId, systemCaller('finance-lead'));
    expect(settledResult(decided)).toEqual({ result: { sent: true, to: 'ann@example.com', amount: 5000 } });
    expect(sentInvoices).toEqual(['ann@example.com']);
  });

  it("reports the tool's own error with its code, and emits it as an event", async () => {
    const failures: ToolCallFailedEvent[] = [];
    gateway.events.on('tool.failed', (event) => failures.push(event));
    await expect(gateway.callTool({ tool: 'invoice.send', args: { to: 'bob@blocked.example', amount: 10 } })).rejects.toMatchObject({
      status: 422,
      code: 'customer_blocked',
    });
    expect(failures).toMatchObject([{ tool: 'invoice.send', code: 'customer_blocked' }]);
  });
});
