import { configFromEnv, createGatewayFromConfig } from '@agent-gateway/core';
import { buildApp } from './app.js';

if (process.env.INIT_CWD !== undefined) process.chdir(process.env.INIT_CWD);
const gateway = await createGatewayFromConfig(configFromEnv(process.env));
const app = buildApp(gateway);
// Started once the app's tools are registered, so a scheduled call finds them.
gateway.scheduler.start();

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const server = app.listen(port, host, () => {
  const address = server.address();
  process.stdout.write(`my app listening on http://${host}:${typeof address === 'object' && address !== null ? address.port : port} (gateway under /gateway)\n`);
});
const stop = (): void => {
  server.close();
  server.closeIdleConnections();
  void gateway.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
