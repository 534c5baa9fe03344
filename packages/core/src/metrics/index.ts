export { GATEWAY_METRIC_NAMES, GatewayMetrics, RUNBOOK_METRIC_NAMES } from './gateway-metrics.js';
