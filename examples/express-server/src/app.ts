import { createServer, type Server } from 'node:http';
import { answerClientError, type Gateway } from '@agent-gateway/core';
import { gatewayRouter } from '@agent-gateway/express';
import express, { type Express } from 'express';

/**
 * The Express app that serves this gateway, configured and not listening: `src/server.ts` listens
 * on it, and tests mount it in their own process.
 */
export function buildApp(gateway: Gateway): Express {
  const app = express();
  app.disable('x-powered-by');
  // This server is only the gateway, so unknown paths get the gateway's JSON 404.
  app.use(gatewayRouter(gateway, { fallthrough: false }));
  return app;
}

/**
 * The Node server for the app, not listening yet. Requests Node cannot parse (headers too large,
 * malformed) never reach Express, so the gateway's JSON answer to them is installed on the server.
 */
export function createAppServer(app: Express): Server {
  const server = createServer(app);
  server.on('clientError', answerClientError);
  return server;
}
