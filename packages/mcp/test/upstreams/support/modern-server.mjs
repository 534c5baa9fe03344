// A server of the 2026 era as the SDK serves it (serveStdio answers server/discover and also the
// 2025 handshake), so the gateway's version negotiation is tested against both eras.
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';

serveStdio(({ era }) => {
  const server = new McpServer({ name: 'modern-server', version: '2.0.0' }, { capabilities: { tools: {} } });
  server.registerTool(
    'shout',
    { description: 'Upper-cases its text', inputSchema: z.object({ text: z.string() }), annotations: { readOnlyHint: true } },
    async ({ text }) => ({ content: [{ type: 'text', text: `${text.toUpperCase()} (${era})` }] }),
  );
  return server;
});
