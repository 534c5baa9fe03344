import { ForbiddenError, UnauthorizedError } from '../../errors/index.js';
import { defineRoute } from '../route.js';
import { textResponse } from '../responses.js';

export const metricsRoutes = [
  defineRoute({
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus metrics (text exposition format); open, or admin/approver only when metrics are protected',
    auth: 'optional',
    produces: 'text/plain',
    async handle({ services, caller }) {
      if (services.protectMetrics) {
        if (caller.kind === 'anonymous') throw new UnauthorizedError('metrics need a bearer token here');
        if (caller.role !== 'admin' && caller.role !== 'approver') throw new ForbiddenError('metrics need the admin or approver role');
      }
      const { contentType, body } = await services.metrics.render();
      return textResponse(200, body, contentType);
    },
  }),
];
