import express from 'express';
import { describeConformance, listenOnLoopback } from '@agent-gateway/conformance';
import { gatewayRouter } from '../src/index.js';

describeConformance('express (gatewayRouter at the root)', (gateway) => {
  const app = express();
  app.use(gatewayRouter(gateway, { fallthrough: false }));
  return listenOnLoopback(app);
});

describeConformance('express (gatewayRouter mounted under /gateway)', (gateway) => {
  const app = express();
  app.use('/gateway', gatewayRouter(gateway, { fallthrough: false }));
  return listenOnLoopback(app, '/gateway');
});

describeConformance('express (gatewayRouter with prefix option)', (gateway) => {
  const app = express();
  app.use(gatewayRouter(gateway, { prefix: '/gw', fallthrough: false }));
  return listenOnLoopback(app, '/gw');
});
