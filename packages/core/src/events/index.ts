export { GatewayEvents } from './gateway-events.js';
export type {
  GatewayEventMap,
  GatewayEventName,
  ToolCallEvent,
  ToolCallFailedEvent,
  ToolRegisteredEvent,
} from './gateway-events.js';
