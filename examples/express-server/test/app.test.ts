import type { AddressInfo } from 'node:net';
import { describeInProcessApp } from '../../demo-tools/test-support/in-process-app.js';
import { buildApp, createAppServer } from '../src/app.js';

// The app in this process, on a real loopback listener; test/server.smoke.test.ts runs `npm start`'s process.
describeInProcessApp('express', async (gateway) => {
  const server = createAppServer(buildApp(gateway));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
});
