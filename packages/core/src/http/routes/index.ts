import type { Route } from '../route.js';
import { adminAuditRoutes } from './admin-audit.js';
import { adminAuthRoutes } from './admin-auth.js';
import { adminGuardRoutes } from './admin-guards.js';
import { adminPoliciesRoutes } from './admin-policies.js';
import { adminProvidersRoutes } from './admin-providers.js';
import { adminScheduleRoutes } from './admin-schedule.js';
import { adminUsersRoutes } from './admin-users.js';
import { approvalsRoutes } from './approvals.js';
import { healthRoutes } from './health.js';
import { metricsRoutes } from './metrics.js';
import { openApiRoutes } from './openapi.js';
import { tabRoutes } from './tab.js';
import { toolsRoutes } from './tools.js';

/** Every route of core itself. Other packages add theirs as a plugin (`GatewayOptions.plugins`). */
export const gatewayRoutes: readonly Route[] = [
  ...openApiRoutes,
  ...healthRoutes,
  ...metricsRoutes,
  ...toolsRoutes,
  ...adminAuthRoutes,
  ...adminUsersRoutes,
  ...adminAuditRoutes,
  ...approvalsRoutes,
  ...adminGuardRoutes,
  ...adminPoliciesRoutes,
  ...adminProvidersRoutes,
  ...adminScheduleRoutes,
  ...tabRoutes,
];
