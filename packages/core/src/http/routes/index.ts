import type { Route } from '../route.js';
import { healthRoutes } from './health.js';
import { metricsRoutes } from './metrics.js';
import { toolsRoutes } from './tools.js';

/** Every route the gateway serves. A new part adds its file here. */
export const gatewayRoutes: readonly Route[] = [...healthRoutes, ...metricsRoutes, ...toolsRoutes];
