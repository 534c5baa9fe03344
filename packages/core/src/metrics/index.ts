export { GATEWAY_METRIC_NAMES, GatewayMetrics, RUNBOOK_METRIC_NAMES, type MetricsOptions } from './gateway-metrics.js';
