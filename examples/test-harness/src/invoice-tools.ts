import { defineTool, ToolError } from '@agent-gateway/core';
import { z } from 'zod';

/** The host's own tools, as it would write them. */
export const invoiceTotal = defineTool({
  name: 'invoice.total',
  description: 'Sums invoice lines, with tax',
  args: z.object({
    lines: z.array(z.object({ amount: z.number().nonnegative(), quantity: z.number().int().positive().default(1) })).min(1),
    taxRate: z.number().min(0).max(1).default(0.2),
  }),
  run: ({ lines, taxRate }) => {
    const net = lines.reduce((sum, line) => sum + line.amount * line.quantity, 0);
    return { net, tax: Math.round(net * taxRate * 100) / 100, gross: Math.round(net * (1 + taxRate) * 100) / 100 };
  },
});

export const sentInvoices: string[] = [];

export const invoiceSend = defineTool({
  name: 'invoice.send',
  description: 'Emails an invoice to a customer (held for approval over 1000)',
  args: z.object({ to: z.email(), amount: z.number().positive() }),
  requiresApproval: ({ amount }) => amount > 1000,
  run: ({ to, amount }) => {
    if (to.endsWith('@blocked.example')) throw new ToolError('this customer does not accept invoices by email', { code: 'customer_blocked' });
    sentInvoices.push(to);
    return { sent: true, to, amount };
  },
});
