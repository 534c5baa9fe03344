import type { AddressInfo } from 'node:net';
import { describeInProcessApp } from '../../demo-tools/test-support/in-process-app.js';
import { buildApp } from '../src/app.js';

// The app in this process, on a real loopback listener; test/server.smoke.test.ts runs `npm start`'s process.
describeInProcessApp('fastify', async (gateway) => {
  const app = await buildApp(gateway);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { baseUrl: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
});
