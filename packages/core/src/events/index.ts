export { GatewayEvents } from './gateway-events.js';
export type {
  GatewayEventMap,
  GatewayEventName,
  LoginEvent,
  LoginFailedEvent,
  RefreshedEvent,
  RefreshReusedEvent,
  TokenRevokedEvent,
  UserCreatedEvent,
  UserDeletedEvent,
  ToolCallEvent,
  ToolCallFailedEvent,
  ToolRegisteredEvent,
} from './gateway-events.js';
