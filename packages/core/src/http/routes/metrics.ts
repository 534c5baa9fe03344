import { defineRoute } from '../route.js';
import { textResponse } from '../responses.js';

export const metricsRoutes = [
  defineRoute({
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus metrics (text exposition format)',
    auth: 'none',
    produces: 'text/plain',
    async handle({ gateway }) {
      const { contentType, body } = await gateway.metrics.render();
      return textResponse(200, body, contentType);
    },
  }),
];
