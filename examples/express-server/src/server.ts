import type { AddressInfo } from 'node:net';
import { runExampleServer } from '@agent-gateway-examples/demo-tools/server';
import { answerClientError } from '@agent-gateway/core';
import { gatewayRouter } from '@agent-gateway/express';
import express from 'express';

await runExampleServer('express', async (gateway, port, host) => {
  const app = express();
  app.disable('x-powered-by');
  // This server is only the gateway, so unknown paths get the gateway's JSON 404.
  app.use(gatewayRouter(gateway, { fallthrough: false }));
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve, reject) => {
    const listening = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  // Requests Node cannot parse (headers too large, malformed) get the gateway's JSON error too.
  server.on('clientError', answerClientError);
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
});
