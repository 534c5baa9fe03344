import { resolve } from 'node:path';
import { registerDemoTools } from '@agent-gateway-examples/demo-tools';
import { configFromEnv, createGatewayFromConfig } from '@agent-gateway/core';
import { gatewayRouter } from '@agent-gateway/express';
import express from 'express';

async function main(): Promise<void> {
  // `npm start` runs in this package's folder; relative paths (users file, scratch) should mean the
  // folder the operator ran npm in.
  if (process.env.INIT_CWD !== undefined) process.chdir(process.env.INIT_CWD);
  const config = configFromEnv(process.env);
  const port = Number(process.env.PORT ?? 8080);
  const host = process.env.HOST ?? '127.0.0.1';
  const scratchDir = resolve(process.env.SCRATCH_DIR ?? 'agent-gateway/scratch');

  const gateway = await createGatewayFromConfig(config);
  registerDemoTools(gateway, { scratchDir });

  const app = express();
  app.disable('x-powered-by');
  // This server is only the gateway, so unknown paths get the gateway's JSON 404.
  app.use(gatewayRouter(gateway, { fallthrough: false }));

  const server = app.listen(port, host, () => {
    const address = server.address();
    const shownPort = typeof address === 'object' && address !== null ? address.port : port;
    const shownHost = host.includes(':') ? `[${host}]` : host;
    process.stdout.write(`agent-gateway (express) listening on http://${shownHost}:${shownPort}\n`);
  });
  server.on('error', (error) => fail(`cannot listen on ${host}:${port}: ${error.message}`));

  const shutdown = (): void => {
    server.close();
    server.closeIdleConnections();
    void gateway.close().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

/** A clear message and a non-zero exit, not a stack trace. */
function fail(message: string): never {
  process.stderr.write(`agent-gateway: ${message}\n`);
  process.exit(1);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
