import { resolve } from 'node:path';
import { registerDemoTools } from '@agent-gateway-examples/demo-tools';
import { ConfigError, configFromEnv, Gateway, gatewayOptionsFromConfig } from '@agent-gateway/core';
import { gatewayRouter } from '@agent-gateway/express';
import express from 'express';

function readConfig() {
  try {
    return configFromEnv(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // A clear message and a non-zero exit, not a stack trace.
    process.stderr.write(`agent-gateway: ${error.message}\n`);
    process.exit(1);
  }
}

const config = readConfig();
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const scratchDir = resolve(process.env.SCRATCH_DIR ?? 'agent-gateway/scratch');

const gateway = new Gateway(gatewayOptionsFromConfig(config));
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
server.on('error', (error) => {
  process.stderr.write(`agent-gateway: cannot listen on ${host}:${port}: ${error.message}\n`);
  process.exit(1);
});

function shutdown(): void {
  server.close();
  server.closeIdleConnections();
  void gateway.close().then(() => process.exit(0));
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
