export { GatewayMetrics, RUNBOOK_METRIC_NAMES } from './gateway-metrics.js';
