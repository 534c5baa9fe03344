// An app that already exists, with its own routes, and gains the gateway under /gateway.
import { defineTool, type Gateway } from '@agent-gateway/core';
import { gatewayRouter } from '@agent-gateway/express';
import express, { type Express } from 'express';
import { z } from 'zod';

const orders = [{ id: 1, item: 'coffee', total: 4.5 }];

// A tool over the app's own data: agents reach it only through the gateway (auth, audit, limits).
export const ordersLookup = defineTool({
  name: 'orders.lookup',
  description: 'Finds an order by id',
  args: z.object({ id: z.number().int().positive() }),
  run: ({ id }) => orders.find((order) => order.id === id) ?? null,
});

/**
 * The app with the gateway mounted, not listening: `src/server.ts` listens on it, and tests mount
 * it in their own process. Registers the app's own tool on the gateway it is given.
 */
export function buildApp(gateway: Gateway): Express {
  gateway.registerTool(ordersLookup);
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
  return app;
}
