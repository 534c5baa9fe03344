import type { AddressInfo } from 'node:net';
import { runExampleServer } from '@agent-gateway-examples/demo-tools/server';
import { buildApp, createAppServer } from './app.js';

await runExampleServer('express', async (gateway, port, host) => {
  const server = createAppServer(buildApp(gateway));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
});
