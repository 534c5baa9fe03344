import type { AddressInfo } from 'node:net';
import type { Serve } from '@agent-gateway-examples/demo-tools/server';
import { buildApp, createAppServer } from './app.js';

/**
 * Serves the gateway with the Express app on `port` and `host`. `npm start` runs it through
 * `src/server.ts`, and `@agent-gateway/server` bundles it for `agent-gateway serve`: one server, two
 * ways to start it.
 */
export const serveWithExpress: Serve = async (gateway, port, host) => {
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
};
