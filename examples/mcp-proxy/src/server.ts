import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { buildApp, DEFAULT_UPSTREAMS_FILE } from './app.js';

// `npm start` runs in the example's folder; relative paths (users, audit log) mean where the operator ran npm.
if (process.env.INIT_CWD !== undefined) process.chdir(process.env.INIT_CWD);
// The default upstream serves ./scratch beside its file; server-filesystem refuses a folder that is not there.
if ((process.env.MCP_UPSTREAMS_FILE ?? '') === '') mkdirSync(join(dirname(DEFAULT_UPSTREAMS_FILE), 'scratch'), { recursive: true });

const gateway = await buildApp();
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const server = createServer(gateway.nodeListener());
server.listen(port, host, () => {
  const address = server.address();
  const shown = typeof address === 'object' && address !== null ? address.port : port;
  process.stdout.write(`agent-gateway (mcp-proxy) listening on http://${host}:${shown} (MCP at /mcp; upstream tools on /tools)\n`);
});
const stop = (): void => {
  server.close();
  server.closeAllConnections();
  // Closing the gateway kills each upstream's process group.
  void gateway.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
