import { defineRoute } from '../route.js';
import { jsonResponse } from '../responses.js';

export const healthRoutes = [
  defineRoute({
    method: 'GET',
    path: '/health',
    summary: 'Gateway liveness (and `vault: ok|unreachable` when Vault is configured)',
    auth: 'none',
    async handle({ services }) {
      const stores = (await services.secrets.health?.().catch(() => ({ secrets: 'unreachable' }))) ?? {};
      return jsonResponse(200, { status: 'ok', ...stores });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/health/worker',
    summary: 'Sandbox worker pool health; 503 when it fails its check',
    auth: 'none',
    async handle({ services }) {
      const status = await services.workerHealth();
      return jsonResponse(status.healthy ? 200 : 503, {
        worker_healthy: status.healthy,
        pool: { mode: services.hasWorkerPool ? 'sandbox' : 'in-process', size: status.size, alive: status.alive, ...status.details },
      });
    },
  }),
];
