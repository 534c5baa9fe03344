// An app that already exists, with its own routes, and gains the gateway under /gateway.
import { configFromEnv, createGatewayFromConfig, defineTool } from '@agent-gateway/core';
import { gatewayRouter } from '@agent-gateway/express';
import express from 'express';
import { z } from 'zod';

const orders = [{ id: 1, item: 'coffee', total: 4.5 }];

// A tool over the app's own data: agents reach it only through the gateway (auth, audit, limits).
const ordersLookup = defineTool({
  name: 'orders.lookup',
  description: 'Finds an order by id',
  args: z.object({ id: z.number().int().positive() }),
  run: ({ id }) => orders.find((order) => order.id === id) ?? null,
});

if (process.env.INIT_CWD !== undefined) process.chdir(process.env.INIT_CWD);
const gateway = await createGatewayFromConfig(configFromEnv(process.env));
gateway.registerTool(ordersLookup);
gateway.scheduler.start();

const app = express();
app.use(express.json()); // the app's own parser; the gateway does not need it and is not bothered by it
app.get('/', (_req, res) => {
  res.type('text/plain').send('My existing app. The agent gateway lives under /gateway.\n');
});
app.get('/api/orders', (_req, res) => {
  res.json(orders);
});
app.use('/gateway', gatewayRouter(gateway)); // unknown /gateway/* paths fall through to the app's 404
app.use((_req, res) => {
  res.status(404).json({ app: 'not found' });
});

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
